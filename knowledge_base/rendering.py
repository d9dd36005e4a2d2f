"""Article Markdown to safe HTML: markdown-it (raw HTML off) then nh3 with a short allow-list.
A YouTube or Vimeo link alone on its line becomes a player, built here from the video id: no
HTML from an author ever reaches the page as such."""

import html
import re

import nh3
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt

INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": True}).enable(
    ["table", "strikethrough", "linkify"]
)
TAGS = {
    *("p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre"),
    *("blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td"),
}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}

_HEADING = re.compile(r"<(/?)h([1-5])>")
_LONE_LINK = re.compile(r'<p><a href="([^"]+)"[^>]*>[^<]*</a></p>')
_YOUTUBE = re.compile(
    r"https?://(?:(?:www\.|m\.)?youtube(?:-nocookie)?\.com/(?:watch\?v=|embed/|shorts/)"
    r"|youtu\.be/)(?P<id>[A-Za-z0-9_-]{11})(?:[?&][\w=&%.-]*)?"
)
_VIMEO = re.compile(r"https?://(?:www\.|player\.)?vimeo\.com/(?:video/)?(?P<id>\d{1,12})/?")


def video_embed_url(url: str) -> str | None:
    """The player address for a video link of an allowed provider, from its id; else None."""
    if match := _YOUTUBE.fullmatch(url):
        return f"https://www.youtube-nocookie.com/embed/{match['id']}"
    if match := _VIMEO.fullmatch(url):
        return f"https://player.vimeo.com/video/{match['id']}"
    return None


def _embed(match: re.Match) -> str:
    url = html.unescape(match.group(1))
    player = video_embed_url(url)
    if player is None:
        return match.group(0)
    return (
        '<div class="kb-video">'
        f'<iframe src="{player}" title="{html.escape(_("Video"))}" loading="lazy" '
        'allow="encrypted-media; fullscreen; picture-in-picture" allowfullscreen '
        'referrerpolicy="strict-origin-when-cross-origin" '
        'sandbox="allow-scripts allow-same-origin allow-presentation allow-popups"></iframe>'
        f'<a class="kb-video-link" href="{html.escape(url)}">{html.escape(url)}</a></div>'
    )


def render_markdown(text: str) -> SafeString:
    """Safe HTML of an article's text. Headings start at h2 (the page's h1 is the title)."""
    raw = _HEADING.sub(lambda m: f"<{m[1]}h{int(m[2]) + 1}>", _markdown.render(text or ""))
    clean = nh3.clean(
        raw,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener nofollow",
    )
    return mark_safe(_LONE_LINK.sub(_embed, clean))  # sanitized by nh3 just above
