"""Generate the demo's prompts and the callee farm's voices with espeak-ng.

Writes small µ-law WAV files (8 kHz, mono) that are committed, so nothing is
synthesised at run time:

- `src/ringcast/assets/demo/<lang>/<name>.wav` — the payment-reminder prompts,
- `src/ringcast/assets/callee/<name>.wav` — what simulated callees say: human
  "hello"s and answering-machine greetings (some ending with a beep).

    python scripts/make_demo_prompts.py
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from ringcast.audio.decode import decode_audio
from ringcast.audio.g711 import ulaw_encode

ROOT = Path(__file__).resolve().parent.parent / "src" / "ringcast" / "assets"

PROMPTS = {
    "en": {
        "voice": "en-us",
        "greeting": "Hello, this is a payment reminder from your bank. Your balance due is",
        "currency": "dirhams.",
        "menu": "Press 1 to confirm your payment. Press 2 to be called back.",
        "confirm": "Thank you, your payment is confirmed. Goodbye.",
        "callback": "Thank you, an advisor will call you back. Goodbye.",
        "invalid": "Sorry, that choice is not valid.",
        "voicemail": "Hello, this is your bank with a payment reminder. Please call us back. Thank you.",
    },
    "fr": {
        "voice": "fr",
        "greeting": "Bonjour, ceci est un rappel de paiement de votre banque. Le montant dû est de",
        "currency": "dirhams.",
        "menu": "Tapez 1 pour confirmer votre paiement. Tapez 2 pour être rappelé.",
        "confirm": "Merci, votre paiement est confirmé. Au revoir.",
        "callback": "Merci, un conseiller vous rappellera. Au revoir.",
        "invalid": "Désolé, ce choix n'est pas valide.",
        "voicemail": "Bonjour, ici votre banque pour un rappel de paiement. Merci de nous rappeler.",
    },
    "ar": {
        "voice": "ar",
        "greeting": "مرحبا، هذا تذكير بالدفع من البنك. المبلغ المستحق هو",
        "currency": "درهم.",
        "menu": "اضغط واحد لتأكيد الدفع. اضغط اثنين لنعاود الاتصال بك.",
        "confirm": "شكرا، تم تأكيد الدفع. مع السلامة.",
        "callback": "شكرا، سيتصل بك مستشار. مع السلامة.",
        "invalid": "عذرا، هذا الاختيار غير صحيح.",
        "voicemail": "مرحبا، هنا البنك بخصوص تذكير بالدفع. المرجو معاودة الاتصال بنا.",
    },
}

CALLEES = {
    "human_hello": ("en-us", "Hello?"),
    "human_allo": ("fr", "Allô, oui?"),
    "human_hello_twice": ("en-us", "Hello? [[_:]] Hello?"),
    "machine_greeting": (
        "en-us",
        "Hi, you have reached the voicemail of Sam. I am not available to take your call "
        "right now. Please leave your name, your number and a short message after the tone, "
        "and I will call you back as soon as I can.",
    ),
    "machine_carrier": (
        "fr",
        "Bonjour, vous êtes bien sur la messagerie vocale du zéro six, douze, trente-quatre. "
        "Votre correspondant n'est pas disponible. Laissez un message après le bip sonore.",
    ),
}


def speak(voice: str, text: str, speed: int = 160) -> np.ndarray:
    with tempfile.NamedTemporaryFile(suffix=".wav") as tmp:
        subprocess.run(
            ["espeak-ng", "-v", voice, "-s", str(speed), "-w", tmp.name, text], check=True
        )
        pcm = decode_audio(tmp.name).pcm
    # trim leading/trailing near-silence, keep 60 ms of air
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > 300)
    if loud.size:
        pcm = pcm[max(0, loud[0] - 480) : loud[-1] + 480]
    return pcm


def beep(ms: int = 400, freq: float = 1000.0) -> np.ndarray:
    t = np.arange(8 * ms) / 8000
    return (np.sin(2 * np.pi * freq * t) * 12000).astype(np.int16)


def silence(ms: int) -> np.ndarray:
    return np.zeros(8 * ms, dtype=np.int16)


def write_ulaw_wav(path: Path, pcm: np.ndarray) -> None:
    """A WAVE_FORMAT_MULAW file: half the size of 16-bit PCM, decodes anywhere."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = ulaw_encode(pcm)
    fmt = (7).to_bytes(2, "little") + (1).to_bytes(2, "little") + (8000).to_bytes(4, "little")
    fmt += (8000).to_bytes(4, "little") + (1).to_bytes(2, "little") + (8).to_bytes(2, "little")
    fmt += (0).to_bytes(2, "little")
    fact = len(data).to_bytes(4, "little")
    body = b"WAVE" + b"fmt " + len(fmt).to_bytes(4, "little") + fmt
    body += b"fact" + (4).to_bytes(4, "little") + fact
    body += b"data" + len(data).to_bytes(4, "little") + data + (b"\0" if len(data) % 2 else b"")
    path.write_bytes(b"RIFF" + len(body).to_bytes(4, "little") + body)


def main() -> None:
    for lang, prompts in PROMPTS.items():
        voice = prompts["voice"]
        for name, text in prompts.items():
            if name != "voice":
                write_ulaw_wav(ROOT / "demo" / lang / f"{name}.wav", speak(voice, text))
    for name, (voice, text) in CALLEES.items():
        pcm = speak(voice, text)
        if name.startswith("machine"):
            pcm = np.concatenate([pcm, silence(500), beep(), silence(200)])
        write_ulaw_wav(ROOT / "callee" / f"{name}.wav", pcm)
    total = sum(p.stat().st_size for p in ROOT.glob("*/**/*.wav") if "dictionaries" not in p.parts)
    print(f"wrote demo prompts and callee voices, {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
