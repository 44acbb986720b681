"""A chat full of content that breaks careless layouts, written straight into the store.

Used by the layout test (tests/test_desktop_layout.py) and by ``python -m tests.screenshots``:
a 2,000-character Chinese paragraph with no spaces, a 300-character address, a 12-column
table, a code block with a 400-character line, eight citation chips, a reply stopped before
its end; the window marks the oldest turn as no longer seen by the model.
"""

from __future__ import annotations

from core.chat.store import ChatStore, Message

_CJK = "灯塔守护者在风暴之夜记录了每一艘经过的船只以及海浪的高度和风向变化"
CHINESE = (_CJK * (2000 // len(_CJK) + 1))[:2000]
URL = "https://example.org/" + "a1b2c3d4e5/" * 25 + "end"
TABLE = (
    "| " + " | ".join(f"column {i}" for i in range(1, 13)) + " |\n"
    "|" + "---|" * 12 + "\n"
    "| " + " | ".join(f"value-{i}-xxxxxxxxxx" for i in range(1, 13)) + " |\n"
)
CODE = "```python\nx = " + repr("long " * 80) + "\nprint(x)\n```"
REPLY = f"Here is everything at once [1] [2] [8].\n\n{CHINESE}\n\n{URL}\n\n{TABLE}\n{CODE}\n"
CITATIONS = [
    {"n": n, "file": f"/home/person/Documents/library/{'very-long-document-name-' * 2}{n}.pdf",
     "page": n * 3, "snippet": f"snippet {n}", "cited": n in (1, 2, 8)}
    for n in range(1, 9)
]  # fmt: skip


def write_nasty_chat(store: ChatStore, title: str = "Nasty content") -> tuple[int, list[Message]]:
    """The chat (its id) and its messages in order: an old turn, the full reply with sources,
    and a question whose reply stopped before the end."""
    chat = store.create_chat(title)
    messages: list[Message] = []
    parent = None
    for role, content, extra in (
        ("user", "An old question that the model no longer sees.", {}),
        ("assistant", "An old answer " + URL, {}),
        ("user", CHINESE, {}),
        ("assistant", REPLY, {"citations": CITATIONS}),
        ("user", URL, {}),
        ("assistant", "Partly written " + CHINESE[:300], {"incomplete": True}),
    ):
        message = store.add_message(chat.id, parent, role, content, **extra)  # type: ignore[arg-type]
        messages.append(message)
        parent = message.id
    return chat.id, messages
