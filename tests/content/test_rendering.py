from hocvu.content.rendering import captions_vtt, render_markdown


def test_raw_html_is_shown_as_text_never_run() -> None:
    html = str(render_markdown("Xin chào <script>alert(1)</script> <b>đậm</b>"))
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html


def test_dangerous_link_schemes_are_dropped() -> None:
    for source in (
        "[x](javascript:alert(1))",
        "[x](JavaScript:alert(1))",
        "[x]( javascript:alert(1))",
        "![x](data:image/svg+xml;base64,AAAA)",
        "[x](vbscript:msgbox)",
    ):
        html = str(render_markdown(source))
        assert "javascript" not in html.lower() and "data:" not in html and "vbscript" not in html
    kept = str(
        render_markdown("[cổng](https://dichvucong.gov.vn) [thư](mailto:a@b.vn) [bài](/learn/)")
    )
    assert 'href="https://dichvucong.gov.vn"' in kept
    assert 'href="mailto:a@b.vn"' in kept and 'href="/learn/"' in kept


def test_callouts_and_images_are_styled_and_served_from_content_media() -> None:
    html = str(
        render_markdown(
            "> **Cảnh báo:** Không chia sẻ mã OTP.\n\n![Email giả](a4-phishing-email.svg)"
        )
    )
    assert '<blockquote class="callout warning">' in html
    assert 'src="/content/media/a4-phishing-email.svg"' in html


def test_captions_have_one_cue_per_sentence_in_order() -> None:
    vtt = captions_vtt("Câu thứ nhất. Câu thứ hai! Câu thứ ba?")
    assert vtt.startswith("WEBVTT")
    assert vtt.count(" --> ") == 3
    assert vtt.index("Câu thứ nhất") < vtt.index("Câu thứ hai") < vtt.index("Câu thứ ba")
