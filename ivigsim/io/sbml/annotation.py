"""The ivigsim annotation carried by exported SBML elements.

SBML has no place for what an ivigsim model file says beyond the mathematics:
a parameter's bounds and source, the unit string as the modeller wrote it,
mechanisms, cumulative species, the dose table. These travel as one
``<ivigsim:...>`` element in each SBML element's ``<annotation>``, in the
namespace :data:`NAMESPACE`, so that :func:`~ivigsim.io.sbml.import_sbml` can
rebuild the model file. Other tools ignore it; the SBML mathematics stays the
source of truth for every number.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

NAMESPACE = "urn:ivigsim:sbml-annotation:1"
PREFIX = "ivigsim"


def element(kind, attributes=None, children=()):
    """XML text of one ``<ivigsim:kind .../>`` element (children are element texts)."""
    attrs = "".join(f" {k}={quoteattr(str(v))}" for k, v in (attributes or {}).items() if v is not None)
    if children:
        return f"<{PREFIX}:{kind}{attrs}>{''.join(children)}</{PREFIX}:{kind}>"
    return f"<{PREFIX}:{kind}{attrs}/>"


def annotate(sbase, kind, attributes=None, children=()):
    """Attach an ivigsim annotation element to an SBML element."""
    text = element(kind, attributes, children)
    text = text.replace(f"<{PREFIX}:{kind}", f'<{PREFIX}:{kind} xmlns:{PREFIX}="{NAMESPACE}"', 1)
    sbase.setAnnotation(text)


def notes(sbase, paragraphs):
    """Set an element's notes to XHTML paragraphs (plain text, escaped)."""
    paragraphs = [p for p in paragraphs if p]
    if paragraphs:
        body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
        sbase.setNotes(f'<body xmlns="http://www.w3.org/1999/xhtml">{body}</body>')


class Annotation:
    """An ivigsim annotation read back: its kind, attributes and child annotations."""

    def __init__(self, kind, attributes, children):
        self.kind = kind
        self.attributes = attributes
        self.children = children

    def get(self, key, default=None):
        return self.attributes.get(key, default)


def _read_node(node):
    attrs = {node.getAttrName(i): node.getAttrValue(i) for i in range(node.getAttributesLength())}
    children = [_read_node(node.getChild(i)) for i in range(node.getNumChildren())
                if node.getChild(i).isElement()]
    return Annotation(node.getName(), attrs, children)


def read(sbase):
    """The ivigsim annotation of an SBML element, or None."""
    top = sbase.getAnnotation() if sbase.isSetAnnotation() else None
    if top is None:
        return None
    for i in range(top.getNumChildren()):
        child = top.getChild(i)
        if child.isElement() and child.getURI() == NAMESPACE:
            return _read_node(child)
    return None


def is_dosing(element):
    """Whether an SBML element is part of the dosing an ivigsim export wrote."""
    note = read(element) if element is not None else None
    return note is not None and note.kind == "dosing"
