"""Every message speaks both languages; chat templates render safely."""

from __future__ import annotations

import re

import pytest

from core.engine.errors import TemplateError
from core.engine.protocol import ChatMessage
from core.engine.template import ChatTemplate
from core.i18n import MESSAGES, Translator, resolve_language


def test_every_message_has_both_languages_with_the_same_fields() -> None:
    for code, entry in MESSAGES.items():
        assert set(entry) == {"en", "zh_CN"}, code
        fields = {lang: set(re.findall(r"{(\w+)}", text)) for lang, text in entry.items()}
        assert fields["en"] == fields["zh_CN"], code
        assert "\n" not in entry["en"] and "\n" not in entry["zh_CN"], code


def test_language_follows_preference_then_locale() -> None:
    assert resolve_language("zh_CN", {}) == "zh_CN"
    assert resolve_language("system", {"LANG": "zh_CN.UTF-8"}) == "zh_CN"
    assert resolve_language("system", {"LANG": "de_DE.UTF-8"}) == "en"
    assert resolve_language("system", {"FIRESIDE_LANG": "zh", "LANG": "en_US"}) == "zh_CN"
    assert resolve_language("system", {}) == "en"


def test_translator_formats_and_survives_missing_fields() -> None:
    tr = Translator("zh_CN")
    assert tr("model_missing", path="/a.gguf") == "找不到模型文件：/a.gguf"
    assert "{path}" in tr("model_missing")  # a missing field never raises
    assert tr("no-such-code") == "no-such-code"


CHATML = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def test_gguf_template_renders() -> None:
    text = ChatTemplate(CHATML).render([ChatMessage("user", "你好")])
    assert text == "<|im_start|>user\n你好<|im_end|>\n<|im_start|>assistant\n"


def test_template_cannot_escape_the_sandbox() -> None:
    evil = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    with pytest.raises(TemplateError):
        ChatTemplate(evil).render([ChatMessage("user", "x")])


def test_template_raise_exception_is_a_template_error() -> None:
    strict = "{% if messages[0]['role'] != 'user' %}{{ raise_exception('user first') }}{% endif %}"
    with pytest.raises(TemplateError) as info:
        ChatTemplate(strict).render([ChatMessage("assistant", "x")])
    assert "user first" in str(info.value)


def test_broken_template_is_a_template_error() -> None:
    with pytest.raises(TemplateError):
        ChatTemplate("{% for %}").render([ChatMessage("user", "x")])


def test_fallback_transcript() -> None:
    template = ChatTemplate(None)
    assert template.is_fallback and template.default_stops == ("\nUser:",)
    text = template.render([ChatMessage("user", "Hi"), ChatMessage("assistant", " Hello!\n")])
    assert text == "User: Hi\nAssistant: Hello!\nAssistant:"
