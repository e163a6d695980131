"""The one way intake parses XML from a document: no entity is expanded, no DTD loaded,
nothing fetched. check_package already refuses any DTD; this is the second lock."""

from __future__ import annotations

from typing import Any

from lxml import etree

_PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True,
                          huge_tree=False, dtd_validation=False)


def parse_xml(data: bytes) -> Any:
    """An lxml element tree root; raises etree.XMLSyntaxError on damaged XML."""
    return etree.fromstring(data, parser=_PARSER)
