"""The interactive matplotlib front end of the teaching demo.

:func:`demo` opens one window: the three linked panels of
:mod:`ivigsim.interfaces.demo.panels` on the left, and on the right the safety readouts,
a check box per mechanism, a slider per setting (:data:`~ivigsim.interfaces.demo.lesson.CONTROLS`)
and a reset button. Every change recomputes the lesson
(:meth:`~ivigsim.interfaces.demo.lesson.Lesson.compute`) and redraws. The window works
headless too (Agg backend): sliders and check boxes can be driven with
``slider.set_val(...)`` and ``checks.set_active(i)``.
"""

from __future__ import annotations

from ivigsim.interfaces.demo.lesson import CONTROLS, MECHANISMS, MODEL, Lesson
from ivigsim.interfaces.demo.redraw import Region, RegionRedraw
from ivigsim.errors import IvigsimError
from ivigsim.core.regimen import RegimenError

FIGSIZE = (14.0, 9.2)
_SLIDER_X = (0.815, 0.915)
_SLIDER_TOP, _SLIDER_STEP, _SLIDER_HEIGHT = 0.405, 0.039, 0.021


class NoDisplayError(IvigsimError):
    """The interactive window was asked for where matplotlib cannot open one."""


def interactive_backend():
    """Whether matplotlib's current backend can open a window."""
    import matplotlib
    from matplotlib.backends import BackendFilter, backend_registry
    name = matplotlib.get_backend().lower()
    if name.startswith("module://"):
        return "inline" not in name
    return name not in backend_registry.list_builtin(BackendFilter.NON_INTERACTIVE)


class LessonWindow:
    """The demo figure with its controls; :func:`demo` builds it.

    Attributes
    ----------
    fig : matplotlib Figure
    panels : LessonPanels
    sliders : dict of str to matplotlib.widgets.Slider
        One per :data:`~ivigsim.interfaces.demo.lesson.CONTROLS` entry, by field name.
    checks : matplotlib.widgets.CheckButtons
        One box per mechanism, in :data:`~ivigsim.interfaces.demo.lesson.MECHANISMS` order.
    reset_button : matplotlib.widgets.Button
    lesson : Lesson
    result : LessonResult
        What the panels show now.
    blitted : bool
        Whether the last redraw blitted (True) or drew the whole figure.
    """

    def __init__(self, lesson, settings=None, figsize=FIGSIZE):
        import matplotlib.pyplot as plt
        from matplotlib.widgets import Button, CheckButtons, Slider

        from ivigsim.interfaces.demo.panels import LessonPanels

        self.lesson = lesson
        self.initial = lesson.defaults if settings is None else settings
        self._batch = False
        self.fig = plt.figure(figsize=figsize)
        self.fig._ivigsim_demo = self          # the widgets live as long as the figure
        self.panels = LessonPanels(self.fig)
        weight = f", {lesson.body_weight_kg:g} kg patient" if lesson.body_weight_kg else ""
        self._title = f"IVIG teaching demo: model {lesson.spec.name}{weight}"
        self.header = self.fig.text(0.07, 0.972, self._title, fontsize=11.5, weight="bold")
        self.status = self.fig.text(0.07, 0.012, "", fontsize=9, color="#D55E00", animated=True)

        self._check_title = self.fig.text(0.68, 0.525, "mechanisms of IVIG (switch on/off)",
                                          fontsize=10)
        check_ax = self.fig.add_axes((0.68, 0.44, 0.22, 0.08))
        check_ax.set_frame_on(False)
        self.checks = CheckButtons(check_ax, [label for _, label in MECHANISMS],
                                   [bool(getattr(self.initial, name)) for name, _ in MECHANISMS],
                                   useblit=False)
        self.checks.drawon = False
        for text in self.checks.labels:
            text.set_fontsize(9.5)
        self.checks.on_clicked(self._changed)

        self.sliders = {}
        for i, control in enumerate(CONTROLS):
            y = _SLIDER_TOP - i * _SLIDER_STEP
            ax = self.fig.add_axes((_SLIDER_X[0], y, _SLIDER_X[1] - _SLIDER_X[0], _SLIDER_HEIGHT))
            label = f"{control.label} [{control.unit}]" if control.unit else control.label
            slider = Slider(ax, label, control.low * control.scale, control.high * control.scale,
                            valinit=getattr(self.initial, control.name) * control.scale,
                            valstep=control.step * control.scale, valfmt=control.fmt)
            slider.drawon = False
            slider.label.set_fontsize(9)
            slider.label.set_x(-0.07)
            slider.valtext.set_fontsize(9)
            slider.on_changed(self._changed)
            for artist in (slider.poly, slider._handle, slider.valtext):
                artist.set_animated(True)
            self.sliders[control.name] = slider

        button_ax = self.fig.add_axes((0.84, 0.02, 0.075, 0.038))
        self.reset_button = Button(button_ax, "reset")
        self.reset_button.on_clicked(lambda _event: self.reset())
        self._fast = RegionRedraw(self.fig, self._regions)
        self.fig.canvas.mpl_connect("motion_notify_event", self._hover)
        self.result = None
        self.blitted = False
        self.update(keep_limits=False)

    # -- controls -> settings ---------------------------------------------------------

    def settings(self):
        """The settings the controls show now."""
        values = {}
        for control in CONTROLS:
            value = round(self.sliders[control.name].val / control.scale, 10)   # no stepping noise
            values[control.name] = int(round(value)) if control.fmt == "%d" else float(value)
        status = self.checks.get_status()
        values.update((name, bool(on)) for (name, _), on in zip(MECHANISMS, status))
        return self.initial.replace(**values)

    def _regions(self):
        regions = self.panels.regions()
        regions["status"] = Region((0.0, 0.0, 0.8, 0.034), [self.status], self.status.get_text())
        regions["checks"] = Region((0.665, 0.437, 0.96, 0.543), [], None,
                                   (self.checks.ax, self._check_title),
                                   tuple(self.checks.get_status()))
        for i, (name, slider) in enumerate(self.sliders.items()):
            y = _SLIDER_TOP - i * _SLIDER_STEP
            rect = (_SLIDER_X[0] - 0.008, y - 0.008, 0.995, y + _SLIDER_HEIGHT + 0.008)
            regions[f"slider {name}"] = Region(rect, [slider.poly, slider._handle, slider.valtext],
                                               slider.val)
        return regions

    def _changed(self, _value):
        if not self._batch:
            self.update()

    def _hover(self, event):
        if event.inaxes in self.panels.time_axes and event.xdata is not None:
            self.panels.show_cursor(event.xdata)
        elif self.panels.cursors[0].get_visible():
            self.panels.show_cursor(None)
        else:
            return
        self.blitted = self._fast.redraw()

    def update(self, keep_limits=True):
        """Recompute the lesson for the controls' settings and redraw what changed.

        Axis limits stay while the curves fit them well, unless ``keep_limits`` is False.
        """
        settings = self.settings()
        try:
            result = self.lesson.compute(settings)
        except (IvigsimError, RegimenError) as exc:
            self.status.set_text(f"not simulated: {exc}".replace("$", r"\$"))
            self.blitted = self._fast.redraw()
            return self.result
        self.status.set_text("")
        self.result = result
        self.panels.update(result, keep_limits=keep_limits)
        self.blitted = self._fast.redraw()
        return result

    def reset(self):
        """Put every control back to its starting value and recompute once."""
        self._batch = True
        try:
            for slider in self.sliders.values():
                slider.reset()
            for i, ((name, _), on) in enumerate(zip(MECHANISMS, self.checks.get_status())):
                if on != bool(getattr(self.initial, name)):
                    self.checks.set_active(i)
        finally:
            self._batch = False
        return self.update(keep_limits=False)


def demo(model=MODEL, body_weight_kg=None, show=True, **settings):
    """Open the interactive teaching demo.

    Parameters
    ----------
    model : str or ModelSpec
        Default ``"ivig_autoimmune"``; any model with the mechanisms
        ``fcrn_saturation`` and ``anti_idiotype`` and the parameters
        ``fcrn_total`` and ``f_antiidiotype``.
    body_weight_kg : float, kg, optional
        The patient (default: the model's reference adult).
    show : bool
        Open the window and block until it is closed (``plt.show()``). With
        ``False`` the figure is only built, e.g. to drive it from a script or
        a test, or to save it.
    **settings
        Starting values of the controls: any field of
        :class:`~ivigsim.interfaces.demo.lesson.LessonSettings` (``dose_g_per_kg=1.0``,
        ``anti_idiotype=False``, ...). Reset returns to these.

    Returns
    -------
    LessonWindow

    Raises
    ------
    NoDisplayError
        With ``show=True`` on a backend that cannot open a window (no
        display); ``demo_html`` writes the same lesson as a web page.
    """
    if show and not interactive_backend():
        import matplotlib
        raise NoDisplayError(
            f"matplotlib cannot open a window here (backend '{matplotlib.get_backend()}', "
            "no display?); write the lesson as a web page instead: "
            "ivigsim demo --html lesson.html, or ivigsim.interfaces.demo.demo_html('lesson.html')")
    lesson = Lesson(model, body_weight_kg=body_weight_kg)
    window = LessonWindow(lesson, lesson.defaults.replace(**settings))
    if show:
        import matplotlib.pyplot as plt
        plt.show()
    return window
