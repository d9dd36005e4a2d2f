"""Article Markdown to HTML: sanitized by nh3, videos only from YouTube and Vimeo, as players
we build from the video id."""

import re

import pytest

from knowledge_base.rendering import render_markdown, video_embed_url


def test_markdown_becomes_html_with_headings_below_the_page_title():
    html = render_markdown("# Passos\n\n- um\n- **dois**\n\n| a | b |\n|---|---|\n| 1 | 2 |")

    assert "<h2>Passos</h2>" in html
    assert "<li><strong>dois</strong></li>" in html
    assert "<td>1</td>" in html


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[x](javascript:alert(1))",
        "![x](javascript:alert(1))",
        '<iframe src="https://www.youtube.com/embed/dQw4w9WgXcQ"></iframe>',
        '<a href="https://ok.example" onclick="alert(1)">x</a>',
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
    ],
)
def test_raw_html_and_dangerous_links_never_pass(attack):
    html = render_markdown(attack)

    assert "<script" not in html
    assert "<iframe" not in html
    assert not re.search(r"<[^>]*\son\w+=", html)  # no event handler in any tag
    assert not re.search(r"(href|src)=\"(javascript|data):", html)


@pytest.mark.parametrize(
    ("url", "player"),
    [
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        ("https://youtu.be/dQw4w9WgXcQ", "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871"),
    ],
)
def test_a_video_link_alone_on_its_line_becomes_a_player(url, player):
    html = render_markdown(f"Veja:\n\n{url}\n")

    assert f'<iframe src="{player}"' in html
    assert 'sandbox="' in html


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
        'https://www.youtube.com/watch?v=dQw4w9WgXcQ"onload="x',
        "https://vimeo.com/76979871/../../evil",
        "javascript:alert(1)//youtube.com/watch?v=dQw4w9WgXcQ",
    ],
)
def test_other_links_never_become_players(url):
    assert video_embed_url(url) is None
    assert "<iframe" not in render_markdown(f"{url}\n")


def test_a_video_link_inside_a_sentence_stays_a_link():
    html = render_markdown("Assista https://youtu.be/dQw4w9WgXcQ antes.")

    assert "<iframe" not in html
    assert 'href="https://youtu.be/dQw4w9WgXcQ"' in html
