"""The knowledge base's pages: public ones under /portal/kb/ (portal.py), its files under
/kb-media/ (media.py), and the agents' under /agent/ (agent.py, picker.py)."""

from .media import media
from .picker import kb_picker
from .portal import article_detail, article_feedback, category_detail, kb_home, search

__all__ = [
    "article_detail",
    "article_feedback",
    "category_detail",
    "kb_home",
    "kb_picker",
    "media",
    "search",
]
