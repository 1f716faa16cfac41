"""Replies sent as HTML only: each client's quote container leaves only the sender's words.

The markup is laid out as each client writes it (trimmed of styling that changes no text).
The new text is "Thanks, the X200 works now."; the quoted notice asked "Which model is it?".
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from inbox_worker.mail.html_text import html_to_text
from inbox_worker.mail.inbound import parse_mail

NEW = "Thanks, the X200 works now."
OLD = "Which model is it?"
REPLIES = {
    "gmail": (
        f'<div dir="ltr">{NEW}</div><br><div class="gmail_quote"><div dir="ltr"'
        ' class="gmail_attr">On Wed, 2 Dec 2026 at 10:15, Example Support &lt;<a'
        ' href="mailto:support@example.com">support@example.com</a>&gt; wrote:<br></div>'
        '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px'
        f' solid rgb(204,204,204);padding-left:1ex">Hello Ivan,<br><br>{OLD}<br></blockquote>'
        "</div>"
    ),
    "apple mail": (
        f'<html><body dir="auto"><div>{NEW}</div><div><br></div><div><br><blockquote'
        ' type="cite"><div>On 2 Dec 2026, at 10:15, Example Support &lt;support@example.com'
        '&gt; wrote:</div><br class="Apple-interchange-newline"><div><div>Hello Ivan,</div>'
        f"<div><br></div><div>{OLD}</div></div></blockquote></div></body></html>"
    ),
    "thunderbird": (
        f"<html><body><p>{NEW}</p><div class=\"moz-cite-prefix\">On 02.12.26 10:15, Example"
        ' Support wrote:<br></div><blockquote type="cite" cite="mid:a@example.com">Hello'
        f" Ivan,<br><br>{OLD}</blockquote></body></html>"
    ),
    "outlook desktop": (
        '<html><body lang="EN-US"><div class="WordSection1"><p class="MsoNormal">'
        f"{NEW}<o:p></o:p></p><p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p><div"
        ' style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in">'
        '<p class="MsoNormal"><b>From:</b> Example Support &lt;support@example.com&gt;'
        " <br><b>Sent:</b> Wednesday, December 2, 2026 10:15 AM<br><b>To:</b> Ivan"
        " &lt;ivan@customer.test&gt;<br><b>Subject:</b> [IW-7K3M9QX2PD] Printer jams<o:p>"
        '</o:p></p></div><p class="MsoNormal"><o:p>&nbsp;</o:p></p><p class="MsoNormal">'
        f"Hello Ivan,<o:p></o:p></p><p class=\"MsoNormal\">{OLD}<o:p></o:p></p></div>"
        "</body></html>"
    ),
    "outlook web": (
        f'<div dir="ltr"><div>{NEW}</div></div><div id="appendonsend"></div><hr'
        ' style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg"'
        ' dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt"><b>From:</b>'
        " Example Support &lt;support@example.com&gt;<br><b>Sent:</b> Wednesday, December"
        " 2, 2026 10:15<br><b>To:</b> Ivan &lt;ivan@customer.test&gt;<br><b>Subject:</b>"
        " [IW-7K3M9QX2PD] Printer jams</font><div>&nbsp;</div></div><div>Hello Ivan,<br>"
        f"<br>{OLD}</div>"
    ),
    "yahoo": (
        f'<html><body><div class="ydp1"><div dir="ltr">{NEW}</div><div><br></div><div'
        ' id="yahoo_quoted_1" class="yahoo_quoted"><div style="font-size:13px;color:#26282a">'
        "<div>On Wednesday, December 2, 2026, 10:15:00 AM GMT+1, Example Support &lt;"
        "support@example.com&gt; wrote:</div><div><br></div><div><br></div><div><div"
        f' dir="ltr">Hello Ivan,<br><br>{OLD}</div></div></div></div></div></body></html>'
    ),
    "german gmail": (
        f'<div dir="ltr">{NEW}</div><br><div class="gmail_quote"><div dir="ltr"'
        ' class="gmail_attr">Am Mi., 2. Dez. 2026 um 10:15 Uhr schrieb Example Support &lt;'
        "support@example.com&gt;:<br></div><blockquote class=\"gmail_quote\">Hallo Ivan,"
        f"<br><br>{OLD}</blockquote></div>"
    ),
}


def html_only(markup: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Ivan <ivan@customer.test>"
    message["To"] = "support@example.com"
    message["Subject"] = "Re: [IW-7K3M9QX2PD] Printer jams"
    message.set_content(markup, subtype="html")
    return message.as_bytes()


@pytest.mark.parametrize("markup", REPLIES.values(), ids=REPLIES.keys())
def test_an_html_only_reply_keeps_only_the_new_text(markup: str) -> None:
    mail = parse_mail(html_only(markup))
    assert mail.text == NEW
    assert OLD in mail.full_text  # the history is kept, only not in `text`


def test_blockquotes_become_quoted_lines_at_each_depth() -> None:
    markup = (
        "<p>Top</p><blockquote><p>one</p><blockquote>two<br>three</blockquote>four"
        "</blockquote>"
    )
    assert html_to_text(markup) == "Top\n\n> one\n\n> > two\n> > three\n\n> four"


def test_an_inline_html_answer_keeps_the_answers_between_the_quotes() -> None:
    markup = (
        '<div class="moz-cite-prefix">On 02.12.26 10:15, Example Support wrote:</div>'
        f'<blockquote type="cite">{OLD}</blockquote>The X200.<br>'
        '<blockquote type="cite">Since when?</blockquote>Monday.<br>'
        '<blockquote type="cite">Regards, Example Support</blockquote>'
    )
    assert parse_mail(html_only(markup)).text == "The X200.\n\n> Since when?\n\nMonday."
