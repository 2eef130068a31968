"""Example flows: the payment reminder from Gomobile's guide (dial → play balance →
menu 1/2 → confirm / callback → hangup, with a voicemail branch). Used by the
tests, the benchmark and as documentation of the graph format."""

from __future__ import annotations

from typing import Any

PAYMENT_REMINDER_CONTACT: dict[str, Any] = {
    "id": "c-1",
    "primaryPhone": "+212612345678",
    "firstName": "Amina",
    "lastName": "Haddad",
    "customAttributes": {"balance": 1523, "dueDate": "2026-12-01"},
}


def payment_reminder_graph() -> dict[str, Any]:
    say_balance = [
        {"type": "audioFile", "audioId": "aud-balance-intro"},
        {
            "type": "number",
            "value": {"source": "customAttribute", "attributeName": "balance"},
            "mode": "full",
            "language": "fr",
            "dictionaryId": None,
        },
        {"type": "word", "word": "dirhams", "dictionaryId": None},
    ]
    return {
        "startNodeId": "dial-1",
        "nodes": [
            {
                "id": "dial-1",
                "type": "dial",
                "label": "Call customer",
                "config": {"timeout": 30000, "enableAMD": True},
                "outputs": {
                    "onAnswer": "play-balance",
                    "onVoicemail": "play-voicemail",
                    "onNoAnswer": "hangup-unreached",
                    "onBusy": "hangup-unreached",
                    "onRejected": "hangup-unreached",
                    "onError": "hangup-unreached",
                },
            },
            {
                "id": "play-balance",
                "type": "play",
                "label": "Say balance",
                "config": {"audioItems": say_balance},
                "outputs": {"onComplete": "menu", "onError": "hangup-done"},
            },
            {
                "id": "menu",
                "type": "dtmf",
                "label": "1 confirm, 2 callback",
                "config": {
                    "mode": "single_digit",
                    "variable": "choice",
                    "timeout": 5000,
                    "singleDigitConfig": {"allowedDigits": ["1", "2"]},
                    "retry": {"maxRetries": 2},
                    "prompt": [{"type": "audioFile", "audioId": "aud-menu"}],
                    "invalidPrompt": [{"type": "audioFile", "audioId": "aud-invalid"}],
                },
                "outputs": {
                    "branches": {"1": "play-confirm", "2": "play-callback"},
                    "onMaxRetries": "hangup-done",
                    "onError": "hangup-done",
                },
            },
            {
                "id": "play-confirm",
                "type": "play",
                "config": {"audioItems": [{"type": "audioFile", "audioId": "aud-thanks"}]},
                "outputs": {"onComplete": "hangup-done", "onError": "hangup-done"},
            },
            {
                "id": "play-callback",
                "type": "play",
                "config": {"audioItems": [{"type": "audioFile", "audioId": "aud-callback"}]},
                "outputs": {"onComplete": "hangup-done", "onError": "hangup-done"},
            },
            {
                "id": "play-voicemail",
                "type": "play",
                "config": {"audioItems": say_balance},
                "outputs": {"onComplete": "hangup-done", "onError": "hangup-done"},
            },
            {"id": "hangup-done", "type": "hangup", "config": {"reason": "completed"}},
            {"id": "hangup-unreached", "type": "hangup", "config": {"reason": "unreached"}},
        ],
    }
