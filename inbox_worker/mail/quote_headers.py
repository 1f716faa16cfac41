"""Quoted-history headers that mail-parser-reply does not know, in the languages we serve.

mail-parser-reply (measured against quotequail on 207 client headers in 17 languages, our
tests and the corpus: see the issue 17 closing note) knows the attribution lines and
Outlook blocks of en de fr es nl it sv da cs ja ko zh, but not Portuguese, Norwegian,
Polish (its Outlook block matches any single "Do:" line), Russian or Turkish, and no
forward separators. These patterns add them, in the library's form (applied at a line
start, MULTILINE and IGNORECASE, optionally '>'-quoted), written from the headers Gmail,
Apple Mail, Thunderbird, Outlook and Yahoo write in each language.
"""

from __future__ import annotations

_QUOTED = r"(?:> ?)*"

# Attribution lines: a date (a digit) and a name, ending with the language's "wrote" and a
# colon (ASCII or full-width); Gmail wraps them over up to three lines.
_WROTE_ENDINGS = [
    r"escreveu",  # pt: "Em seg., 3 de mar. de 2025 às 10:12, Anna <a@x> escreveu:"
    r"skrev",  # no/da/sv: "Den 3. mar. 2025 kl. 10:12 skrev Anna <a@x>:" (name before ':')
    r"napisał\(a\)|napisał|napisała|pisze",  # pl
    r"napsal\(a\)|napsal|napsala",  # cs
    r"пишет|написал\(а\)|написал|написала",  # ru
    r"şunu yazdı|yazdı",  # tr
    r"のメール|のメッセージ|は書きました",  # ja (Apple Mail, Thunderbird)
    r"写道|寫道",  # zh
    r"님이 작성|작성|쓴 글",  # ko
    # Served by the library, but not in these forms: es (its pattern never matches),
    # nl (Gmail's, Apple Mail's), de (Yahoo's), fr (wrapped before "écrit").
    r"escribió|schreef|geschreven|geschrieben|a\s?écrit",
]
# Each line's length is bounded: the pattern is tried at a line start, and an unbounded
# "[^\n]*\d[^\n]*" backtracks quadratically over a long line.
_WROTE = (
    rf"^{_QUOTED}[^\n]{{0,150}}\d[^\n]{{0,150}}(?:\n[^\n]{{0,200}}){{0,2}}?"
    rf"(?:{'|'.join(_WROTE_ENDINGS)})[^\n:：]{{0,80}}[:：]$"
)
# Attributions that end with the date rather than "wrote": pt-PT Gmail ("Anna <a@x> escreveu
# no dia segunda, 3/03/2025 à(s) 10:12:"), Outlook for Mac in Norwegian ("... skrev følgende
# den 03.03.2025, 10:12:"), Polish Apple Mail ("Wiadomość napisana przez Anna <a@x> w dniu
# 3 mar 2025, o godz. 10:12:"), and those with no word at all, only a time and an address
# (Russian and Japanese Gmail: "пн, 3 мар. 2025 г. в 10:12, Anna <a@x>:"), with a year.
_WROTE_BEFORE_DATE = (
    rf"^{_QUOTED}[^\n]*(?:escreveu no dia|skrev følgende den|wiadomość napisana przez)"
    rf"[^\n]{{0,150}}(?:\n[^\n]{{1,150}})?\d[:.]\d\d[^\n]{{0,20}}:$"
    rf"|^{_QUOTED}[^\n]{{0,40}}\d{{4}}[^\n]{{0,40}}\d[:.]\d\d[^\n]{{0,150}}(?:\n[^\n]{{0,150}})?"
    rf"@[^\n<>]{{1,100}}>[:：]$"
)

# Outlook's header block, two label lines or more, in the languages the library lacks or
# gets wrong (Polish), and with full-width colons (Chinese and Japanese Outlook).
_LABELS = [
    r"De|Enviado|Enviada em|Enviado el|Para|Assunto|Asunto|Data|Fecha|Cc",  # pt, es
    r"Fra|Sendt|Til|Emne|Dato|Kopi",  # no
    r"Od|Wysłano|Wysłane|Do|Temat|Data|DW",  # pl
    r"От|Отправлено|Кому|Тема|Дата|Копия|Отправитель",  # ru
    r"Kimden|Gönderen|Gönderildi|Gönderilen|Kime|Konu|Tarih|Bilgi",  # tr
    r"差出人|送信日時|宛先|件名|日付|CC",  # ja
    r"发件人|发送时间|收件人|主题|抄送|日期|寄件者|寄件日期|收件者|主旨",  # zh
    r"보낸 사람|보낸 날짜|받는 사람|제목|참조",  # ko
]
# The block starts with its "From" line: two lines of other labels ("Data: ...", "Do: ...")
# are too often a customer's own.
_FROM_LABELS = r"De|Fra|Od|От|Отправитель|Kimden|Gönderen|差出人|发件人|寄件者|보낸 사람"
_LABEL_LINE = rf"\n{_QUOTED}[* ]*(?:{'|'.join(_LABELS)})[ *]*[:：][^\n]*"
_OUTLOOK_BLOCK = rf"^{_QUOTED}[* ]*(?:{_FROM_LABELS})[ *]*[:：][^\n]*(?:{_LABEL_LINE})+"

# Separators above a forwarded or original message, alone on their line.
_SEPARATOR_WORDS = [
    r"Forwarded message|Forwarded Message|Original Message|Original message",
    r"Mensagem encaminhada|Mensagem original|Mensagem reencaminhada",
    r"Videresendt melding|Opprinnelig melding|Videresendt meddelelse",
    r"Treść przekazanej wiadomości|Wiadomość przekazana|Oryginalna wiadomość",
    r"Přeposlaná zpráva|Původní zpráva",
    r"Перенаправленное сообщение|Пересылаемое сообщение|Исходное сообщение",
    r"İletilen İleti|İletilmiş Mesaj|Orijinal mesaj|Özgün İleti",
    r"Ursprüngliche Nachricht|Weitergeleitete Nachricht|Message transféré|Message d'origine",
    r"Mensaje original|Messaggio originale|Oorspronkelijk bericht|Ursprungligt meddelande",
    r"Originalmeddelande|Oprindelig meddelelse",
    r"Mensaje reenviado|Messaggio inoltrato|Doorgestuurd bericht|Vidarebefordrat meddelande",
    r"転送メッセージ|元のメッセージ|转发邮件|原始邮件|전달된 메시지|원본 메시지",
]
_DASHED = rf"^{_QUOTED}-{{2,}} ?(?:{'|'.join(_SEPARATOR_WORDS)}) ?-{{2,}}$"
# Apple Mail's "Begin forwarded message:", as each language writes it.
_APPLE_FORWARD = (
    rf"^{_QUOTED}(?:Begin forwarded message|Início da mensagem encaminhada|Videresendt "
    r"melding|Początek przekazywanej wiadomości|Začátek přeposílané zprávy|Начало "
    r"переадресованного сообщения|İleti başlangıcı|Anfang der weitergeleiteten Nachricht|"
    r"Début du message réexpédié|Inicio del mensaje reenviado|Messaggio inoltrato|Begin "
    r"doorgestuurd bericht|Vidarebefordrat mejl|Start på videresendt besked|"
    r"Inizio messaggio inoltrato|転送されたメッセージ|以下是转发的邮件|转发的邮件|전달된 메일|"
    r"전달된 메시지) ?[:：]$"
)

EXTRA_HEADER_PATTERNS: tuple[str, ...] = (
    _WROTE,
    _WROTE_BEFORE_DATE,
    _OUTLOOK_BLOCK,
    _DASHED,
    _APPLE_FORWARD,
)

# Words of separator lines with no colon, which the candidate-line search must look at.
SEPARATOR_WORDS = "|".join(_SEPARATOR_WORDS)
