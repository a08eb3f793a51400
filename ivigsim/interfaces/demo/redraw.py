"""Redraw only what changed: the demo stays live although matplotlib text is slow.

A full redraw of the demo figure renders a few hundred text glyphs, axes and
controls; a slider move changes a few curves and numbers. The figure is cut
into :class:`Region` rectangles. Each holds the animated artists drawn in it,
a signature that changes when they do, and the static parts (axes, labels)
whose look depends on a layout value (axis limits, a legend). On a change
only the regions concerned are redrawn: their static parts again if the
layout changed, then their animated artists over the kept background, and
the rectangle is blitted to the screen.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Region:
    """A rectangle of the figure and what is drawn in it.

    Attributes
    ----------
    rect : (x0, y0, x1, y1) figure fraction; it must hold all of its artists
        and static parts and overlap no other region.
    artists : list of animated artists drawn in it
    signature : any value that changes whenever the artists do
    static : list of artists (axes, texts) drawn under the animated ones
    layout : any value that changes whenever the static parts do
    """

    rect: tuple
    artists: list
    signature: object
    static: tuple = ()
    layout: object = None


class RegionRedraw:
    """Blits the regions of a figure whose signature or layout changed.

    After every full draw (``draw_event``) the background of each region
    (the figure without its animated artists) is kept and the animated
    artists are drawn on top, so that a full draw, a saved file included,
    shows everything. :meth:`redraw` falls back to a full draw where the canvas
    cannot blit or the backgrounds are missing or of another size.

    Parameters
    ----------
    fig : matplotlib Figure
    regions : callable
        Returns ``{name: Region}``, the same names every time.
    """

    def __init__(self, fig, regions):
        self.fig = fig
        self.regions = regions
        self._backgrounds = None
        self._size = None
        self._drawn = {}
        self.redrawn = []          # regions blitted by the last redraw
        self.restyled = []         # of those, regions whose static parts were drawn again
        fig.canvas.mpl_connect("draw_event", self._on_draw)

    def _bbox(self, rect):
        from matplotlib.transforms import Bbox
        return Bbox.from_extents(*rect).transformed(self.fig.transFigure)

    def _on_draw(self, event):
        canvas = self.fig.canvas
        regions = self.regions()
        self._backgrounds = None
        if event.canvas is canvas and getattr(canvas, "supports_blit", False):
            try:
                self._backgrounds = {name: canvas.copy_from_bbox(self._bbox(region.rect))
                                     for name, region in regions.items()}
                self._size = canvas.get_width_height(physical=True)
            except (AttributeError, RuntimeError):
                self._backgrounds = None
        for name, region in regions.items():
            for artist in region.artists:
                if artist.get_visible():
                    artist.draw(event.renderer)
            self._drawn[name] = (region.signature, region.layout)

    def invalidate(self):
        """Forget the backgrounds: the next :meth:`redraw` draws everything."""
        self._backgrounds = None

    def redraw(self):
        """Blit the regions that changed (returns True), or draw the whole figure (False)."""
        canvas = self.fig.canvas
        self.redrawn, self.restyled = [], []
        if self._backgrounds is None or canvas.get_width_height(physical=True) != self._size:
            canvas.draw_idle()
            return False
        for name, region in self.regions().items():
            drawn = self._drawn.get(name)
            if drawn == (region.signature, region.layout):
                continue
            bbox = self._bbox(region.rect)
            self.redrawn.append(name)
            if drawn is None or drawn[1] != region.layout:
                self.restyled.append(name)
                self._backgrounds[name] = self._static_background(region, bbox)
            else:
                canvas.restore_region(self._backgrounds[name])
            for artist in region.artists:
                if artist.get_visible():
                    self.fig.draw_artist(artist)
            canvas.blit(bbox)
            self._drawn[name] = (region.signature, region.layout)
        return True

    def _static_background(self, region, bbox):
        """Paint the region blank, draw its static parts and keep that as its background."""
        from matplotlib.patches import Rectangle
        canvas = self.fig.canvas
        renderer = canvas.get_renderer()
        x0, y0, x1, y1 = region.rect
        blank = Rectangle((x0, y0), x1 - x0, y1 - y0, transform=self.fig.transFigure,
                          facecolor=self.fig.get_facecolor(), edgecolor="none", antialiased=False)
        blank.set_figure(self.fig)
        blank.draw(renderer)
        for part in region.static:
            part.draw(renderer)
        return canvas.copy_from_bbox(bbox)
