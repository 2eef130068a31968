"""Generate a labelled answering-machine-detection corpus (espeak-ng, Flite, Festival).

Each file is what a caller hears from the moment of answer: an initial
silence, then either a *human* (one word, two words, a sentence, "hello?"
twice, or a business answering with one 3-4 s sentence -- "Smith Dental, this
is Karen, how can I help?" -- then silence while they wait for us, sometimes a
second "hello?") or a *machine* (long, short or carrier-style greeting with
pauses between sentences, with or without a single-tone beep, then silence
while it records).

Every call is rendered once per line variant (`VARIANTS`), the same speech
through a different line: `clean` (noise at 20-40 dB SNR, band-limit 300-3400
Hz, 8 kHz, a µ-law round trip), `late` (0.5-3 s more initial silence), `snr10`
and `snr5` (the same noise, louder), `alaw_loss` (A-law, 1-5 % of 20 ms
packets lost one by one), `alaw_burst` (A-law, the same 1-5 % lost in bursts,
issue 20's fifth pass). bench/amd.py adds `quiet` (the clean line 10 dB down).
Each row's `lost` lists the 20 ms packets the line lost (what the RTP stream
would see as a sequence gap), so the bench can hand them to the detector as lost
rather than as silence.

Splits: `tune`, `holdout` and `fresh` are espeak-ng with disjoint languages
*and* voice variants; `flite` and `festival` are the other engines Debian
ships here (Flite: kal, kal16, awb, rms, slt; Festival: kal/ked diphones, the
slt HTS voice, two Italian diphones). Debian has no MBROLA voices for
espeak-ng and no pico2wave in this release's main, so those are absent.
Thresholds are chosen on `tune` only: every other split, and every other
engine, is never tuned on. The output is deterministic for a given seed.
Writes `<out>/<split>/<variant>/<id>.wav` and `<out>/labels.csv`.

Realism (checked for issue 7): humans and machines share one initial-silence
distribution (median about 0.9 s; 20 % wait 1.5-3 s), so initial silence
carries no label by itself. The hard cases are kept on purpose: beep-less
short greetings ("This is Anna, leave a message." then silence) time exactly
like a person answering with a sentence, and businesses answer with sentences
as long as a short voicemail greeting. On top of the regular calls every split
has `hard_per_split()` more (issue 20): half business-answer humans, half short
voicemail greetings with no beep (about two seconds of speech, then silence),
so every engine has enough of both to be measured.

    .venv/bin/python scripts/make_amd_corpus.py [OUT_DIR] [--seed 7] [--per-split 200]
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ringcast.audio.g711 import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from ringcast.telephony.amd.audio_file import read_audio_8k, write_wav_8k

RATE = 8000
Floats = npt.NDArray[np.float64]

# Languages and voice variants: disjoint between the splits.
SPLITS: dict[str, tuple[list[str], list[str]]] = {
    "tune": (["en-us", "fr-fr", "de", "it"], ["m1", "m3", "m5", "f1", "f3", "klatt"]),
    "holdout": (
        ["en-gb", "es", "ar", "pt", "nl"],
        ["m2", "m4", "m7", "f2", "f4", "f5", "klatt3", "croak"],
    ),
    "fresh": (
        ["en-029", "en-gb-scotland", "es-419", "fr-be"],
        ["m6", "m8", "klatt2", "klatt4", "grandma", "norbert"],
    ),
}

# Splits spoken by other synthesis engines (CMU Flite, Festival diphone and HTS
# voices), never tuned on: the nearest we have to "calls made with other voices
# and engines". Each entry is (engine:voice, language of its phrases).
ENGINE_SPLITS: dict[str, list[tuple[str, str]]] = {
    "flite": [
        ("flite:kal", "en-us"),
        ("flite:kal16", "en-us"),
        ("flite:awb", "en-us"),
        ("flite:rms", "en-us"),
        ("flite:slt", "en-us"),
    ],
    "festival": [
        ("festival:kal_diphone", "en-us"),
        ("festival:ked_diphone", "en-us"),
        ("festival:cmu_us_slt_arctic_hts", "en-us"),
        ("festival:lp_diphone", "it"),
        ("festival:pc_diphone", "it"),
    ],
}
ENGINE_TOOLS = ("flite", "text2wave", "sox")


@dataclass(frozen=True)
class Phrases:
    one: list[str]
    two: list[str]
    sentence: list[str]
    business: list[str]
    hello: str
    anyone: str
    long_greeting: list[list[str]]
    short_greeting: list[list[str]]
    carrier: list[list[str]]


_EN = Phrases(
    one=["Hello?", "Yes?", "Hi.", "Yeah?"],
    two=["Hello, yes?", "Hi there.", "Yeah, hello?", "Hello, Mark."],
    sentence=[
        "Hello, this is Mark speaking.",
        "Hi, who is calling please?",
        "Yes hello, Jane here.",
        "Hello, Smith residence.",
    ],
    business=[
        "Smith Dental, this is Karen, how can I help?",
        "Riverside Garage, Mike speaking, what can I do?",
        "Accounts department, this is Priya speaking.",
        "Baker Plumbing, Dave speaking, how can I help?",
    ],
    hello="Hello?",
    anyone="Hello? Is anyone there?",
    long_greeting=[
        [
            "Hi, you've reached Mark and Lisa.",
            "We can't come to the phone right now.",
            "Please leave a message after the beep, and we'll call you back.",
        ],
        [
            "Hello, this is Doctor Patel's office.",
            "Our office hours are nine to five, Monday to Friday.",
            "Please leave your name and number.",
        ],
        [
            "Hey, it's Sam.",
            "Sorry I missed you.",
            "Leave me a message and I'll get back to you soon.",
        ],
    ],
    short_greeting=[["Hi, it's Tom.", "Leave a message."], ["This is Anna, leave a message."]],
    carrier=[
        ["The person you are calling is not available.", "Please leave a message after the tone."],
        [
            "Your call has been forwarded to an automatic voice message system.",
            "Five five five, one two three four, is not available.",
            "At the tone, please record your message.",
        ],
    ],
)

PHRASES: dict[str, Phrases] = {
    "en-us": _EN,
    "en-gb": _EN,
    "en-029": _EN,
    "en-gb-scotland": _EN,
    "fr-fr": Phrases(
        one=["Allô ?", "Oui ?", "Allô."],
        two=["Allô, oui ?", "Oui, bonjour.", "Allô, j'écoute."],
        sentence=[
            "Allô, c'est Pierre, j'écoute.",
            "Oui bonjour, qui est à l'appareil ?",
            "Allô, ici Marie Dupont.",
        ],
        business=[
            "Cabinet Martin, Sophie à l'appareil, je vous écoute.",
            "Garage Renaud, bonjour, Marc à votre écoute.",
        ],
        hello="Allô ?",
        anyone="Allô ? Il y a quelqu'un ?",
        long_greeting=[
            [
                "Bonjour, vous êtes bien chez Pierre et Claire.",
                "Nous ne pouvons pas vous répondre pour le moment.",
                "Laissez-nous un message après le bip, nous vous rappellerons.",
            ],
            [
                "Salut, c'est Julien.",
                "Je ne suis pas disponible.",
                "Laisse-moi un message, je te rappelle vite.",
            ],
        ],
        short_greeting=[["C'est Paul.", "Laissez un message."]],
        carrier=[
            [
                "Votre correspondant n'est pas joignable pour le moment.",
                "Veuillez laisser un message après le signal sonore.",
            ]
        ],
    ),
    "de": Phrases(
        one=["Hallo?", "Ja?", "Müller."],
        two=["Hallo, ja?", "Ja, bitte?", "Schmidt, hallo?"],
        sentence=[
            "Hallo, hier ist Müller, wer spricht?",
            "Ja hallo, Anna Schmidt am Apparat.",
            "Guten Tag, wer ist da bitte?",
        ],
        business=[
            "Praxis Doktor Weber, guten Tag, Frau Klein am Apparat.",
            "Autohaus Becker, Thomas hier, wie kann ich helfen?",
        ],
        hello="Hallo?",
        anyone="Hallo? Ist da jemand?",
        long_greeting=[
            [
                "Hallo, hier ist der Anschluss von Familie Weber.",
                "Wir sind gerade nicht erreichbar.",
                "Bitte hinterlassen Sie eine Nachricht nach dem Signalton.",
            ],
            [
                "Hi, hier ist Jonas.",
                "Ich kann gerade nicht rangehen.",
                "Sprich mir einfach aufs Band.",
            ],
        ],
        short_greeting=[["Hier ist Eva.", "Bitte eine Nachricht."]],
        carrier=[
            [
                "Der gewünschte Gesprächspartner ist zurzeit nicht erreichbar.",
                "Bitte sprechen Sie nach dem Signalton.",
            ]
        ],
    ),
    "it": Phrases(
        one=["Pronto?", "Sì?", "Pronto."],
        two=["Pronto, sì?", "Sì, pronto.", "Pronto, chi parla?"],
        sentence=[
            "Pronto, sono Marco, chi parla?",
            "Sì buongiorno, casa Rossi.",
            "Pronto, mi dica pure.",
        ],
        business=[
            "Studio Bianchi, buongiorno, sono Francesca, mi dica.",
            "Officina Ferrari, parla Giorgio, come posso aiutarla?",
        ],
        hello="Pronto?",
        anyone="Pronto? C'è qualcuno?",
        long_greeting=[
            [
                "Ciao, sei in contatto con Luca e Giulia.",
                "Al momento non possiamo rispondere.",
                "Lascia un messaggio dopo il segnale acustico.",
            ],
        ],
        short_greeting=[["Sono Sara.", "Lascia un messaggio."]],
        carrier=[
            [
                "Il cliente da lei chiamato non è al momento raggiungibile.",
                "Si prega di lasciare un messaggio dopo il segnale acustico.",
            ]
        ],
    ),
    "es": Phrases(
        one=["¿Hola?", "¿Sí?", "Diga."],
        two=["Hola, ¿sí?", "Sí, dígame.", "¿Bueno, sí?"],
        sentence=[
            "Hola, soy Carlos, ¿quién habla?",
            "Sí, buenas tardes, casa de los García.",
            "Diga, ¿con quién hablo?",
        ],
        business=[
            "Clínica Sonrisa, le atiende Lucía, ¿en qué puedo ayudarle?",
            "Taller Martínez, buenas tardes, habla Jorge, dígame.",
        ],
        hello="¿Hola?",
        anyone="¿Hola? ¿Hay alguien?",
        long_greeting=[
            [
                "Hola, has llamado a Ana y Luis.",
                "Ahora no podemos atenderte.",
                "Deja tu mensaje después de la señal y te llamaremos.",
            ],
            [
                "Hola, soy Pablo.",
                "No estoy disponible.",
                "Déjame un mensaje y te devuelvo la llamada.",
            ],
        ],
        short_greeting=[["Soy Elena.", "Deja un mensaje."]],
        carrier=[
            [
                "El teléfono al que llama no está disponible en este momento.",
                "Por favor, deje su mensaje después de la señal.",
            ]
        ],
    ),
    "ar": Phrases(
        one=["ألو؟", "نعم؟", "مرحبا."],
        two=["ألو، نعم؟", "مرحبا، تفضل.", "نعم، ألو؟"],
        sentence=[
            "ألو، معك أحمد، من المتصل؟",
            "مرحبا، نعم، تفضل بالكلام.",
            "السلام عليكم، من معي؟",
        ],
        business=[
            "عيادة الدكتور سمير، معك ليلى، كيف أساعدك؟",
            "شركة النور، معك يوسف، تفضل كيف أخدمك؟",
        ],
        hello="ألو؟",
        anyone="ألو؟ هل من أحد؟",
        long_greeting=[
            [
                "مرحبا، لقد اتصلت بمنزل عائلة خالد.",
                "لا يمكننا الرد الآن.",
                "يرجى ترك رسالة بعد سماع الصافرة وسنعاود الاتصال بك.",
            ],
        ],
        short_greeting=[["معك سارة.", "اترك رسالة."]],
        carrier=[["الرقم المطلوب غير متاح حاليا.", "يرجى ترك رسالة بعد سماع النغمة."]],
    ),
    "pt": Phrases(
        one=["Alô?", "Sim?", "Está?"],
        two=["Alô, sim?", "Sim, diga.", "Olá, sim?"],
        sentence=[
            "Alô, aqui é o João, quem fala?",
            "Sim, boa tarde, casa dos Silva.",
            "Está, quem fala por favor?",
        ],
        business=[
            "Clínica Sorriso, bom dia, fala a Beatriz, diga.",
            "Oficina Santos, aqui é o Ricardo, em que posso ajudar?",
        ],
        hello="Alô?",
        anyone="Alô? Tem alguém aí?",
        long_greeting=[
            [
                "Olá, você ligou para a Maria e o Pedro.",
                "Não podemos atender agora.",
                "Deixe sua mensagem após o sinal e retornaremos a ligação.",
            ],
        ],
        short_greeting=[["Aqui é a Rita.", "Deixe recado."]],
        carrier=[
            [
                "O número que você ligou não está disponível no momento.",
                "Por favor, deixe sua mensagem após o sinal.",
            ]
        ],
    ),
    "nl": Phrases(
        one=["Hallo?", "Ja?", "Met Jan."],
        two=["Hallo, ja?", "Ja, hallo?", "Met Anke, ja?"],
        sentence=[
            "Hallo, met Pieter de Vries, wie spreekt er?",
            "Ja goedemiddag, met Sanne.",
            "Hallo, met wie spreek ik?",
        ],
        business=[
            "Praktijk De Boer, met Lisa, waarmee kan ik helpen?",
            "Garage Jansen, met Kees, wat kan ik voor u doen?",
        ],
        hello="Hallo?",
        anyone="Hallo? Is daar iemand?",
        long_greeting=[
            [
                "Hallo, je spreekt met de voicemail van Tom en Els.",
                "We zijn er even niet.",
                "Spreek een bericht in na de piep, dan bellen we je terug.",
            ],
        ],
        short_greeting=[["Met Lotte.", "Spreek maar in."]],
        carrier=[
            [
                "Het nummer dat u belt is op dit moment niet bereikbaar.",
                "Spreek na de toon uw bericht in.",
            ]
        ],
    ),
}
PHRASES["fr-be"] = PHRASES["fr-fr"]
PHRASES["es-419"] = PHRASES["es"]


@dataclass(frozen=True)
class Call:
    """What was said, by whom: shared by a scene and every file rendered from it."""

    label: str
    kind: str
    lang: str
    voice: str
    speed: int
    pitch: int


@dataclass(frozen=True)
class Row(Call):
    file: str
    split: str
    variant: str
    snr_db: float
    noise: str
    law: str
    loss_pct: float
    lost: str  # indices of the lost 20 ms packets, space-separated
    initial_silence_ms: int
    speech_ms: int
    greeting_end_ms: int
    beep_hz: int
    beep_ms: int
    text: str


class Tts:
    """espeak-ng → 8 kHz samples, cached per (text, voice, speed, pitch)."""

    def __init__(self, workdir: Path) -> None:
        self._dir = workdir
        self._cache: dict[tuple[str, str, int, int], Floats] = {}
        self._festival_proc: subprocess.Popen[str] | None = None

    def say(self, text: str, voice: str, speed: int, pitch: int) -> Floats:
        """`voice` is an espeak-ng voice, or `flite:NAME` / `festival:NAME`.

        `speed` is in espeak words per minute (175 is espeak's normal rate);
        the other engines get the same relative rate as a duration stretch,
        and ignore `pitch`.
        """
        key = (text, voice, speed, pitch)
        if key not in self._cache:
            wav = self._dir / "tts.wav"
            engine, _, name = voice.rpartition(":")
            stretch = f"{175 / speed:.3f}"
            if engine == "flite":
                cmd = ["flite", "-voice", name, "--setf", f"duration_stretch={stretch}"]
                subprocess.run([*cmd, "-t", text, "-o", str(wav)], check=True, capture_output=True)
            elif engine == "festival":
                self._festival(text, name, stretch, wav)
            else:
                cmd = ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch)]
                subprocess.run([*cmd, "-w", str(wav), text], check=True, capture_output=True)
            pcm = read_audio_8k(wav).astype(np.float64)
            self._cache[key] = _trim(pcm)
        return self._cache[key]

    def _festival(self, text: str, voice: str, stretch: str, wav: Path) -> None:
        """One Festival process for the whole build (it takes seconds to start)."""
        if self._festival_proc is None or self._festival_proc.poll() is not None:
            self._festival_proc = subprocess.Popen(
                ["festival", "--pipe"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="latin-1",  # Festival reads ISO-8859-1
            )
        proc = self._festival_proc
        assert proc.stdin is not None
        raw = self._dir / "festival.wav"
        done = self._dir / "festival-done.wav"
        done.unlink(missing_ok=True)
        quoted = text.replace("\\", "\\\\").replace('"', '\\"')
        proc.stdin.write(
            f"(voice_{voice})\n(Parameter.set 'Duration_Stretch {stretch})\n"
            f'(utt.save.wave (utt.synth (Utterance Text "{quoted}")) "{raw}" \'riff)\n'
            f'(system "mv {raw} {done}")\n'
        )
        proc.stdin.flush()
        deadline = time.monotonic() + 60
        while not done.exists():  # Festival buffers its stdout: wait for the file
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"festival failed on {text!r} with {voice}")
            time.sleep(0.005)
        if voice.endswith("_hts"):  # HTS voices ignore Duration_Stretch
            tempo = f"{1 / float(stretch):.3f}"
            subprocess.run(
                ["sox", str(done), str(wav), "tempo", "-s", tempo], check=True, capture_output=True
            )
        else:
            done.replace(wav)

    def close(self) -> None:
        if self._festival_proc is not None:
            assert self._festival_proc.stdin is not None
            self._festival_proc.stdin.close()
            self._festival_proc.wait(timeout=30)
            self._festival_proc = None


def _trim(x: Floats) -> Floats:
    """Drop espeak's leading/trailing silence so the timeline is ours."""
    loud = np.flatnonzero(np.abs(x) > 0.02 * (np.abs(x).max() + 1e-9))
    return x[loud[0] : loud[-1] + 1] if loud.size else x


def _silence(ms: float) -> Floats:
    return np.zeros(round(ms * RATE / 1000))


def _fast_len(n: int) -> int:
    """The next length made of small prime factors (a prime-length FFT is slow)."""
    return 1 << max(0, (n - 1).bit_length())


def _band_limit(x: Floats) -> Floats:
    """300-3400 Hz with raised-cosine edges (offline, so a zero-phase FFT mask is fine)."""
    n = _fast_len(x.size)
    spec = np.fft.rfft(x, n)
    f = np.fft.rfftfreq(n, 1 / RATE)
    mask = np.clip((f - 250) / 100, 0, 1) * np.clip((3500 - f) / 200, 0, 1)
    mask = 0.5 - 0.5 * np.cos(np.pi * mask)
    return np.fft.irfft(spec * mask, n=n)[: x.size]


def _noise(rng: np.random.Generator, kind: str, n: int) -> Floats:
    white = rng.standard_normal(n)
    if kind == "white":
        return white
    size = _fast_len(n)
    spec = np.fft.rfft(white, size)
    f = np.fft.rfftfreq(size, 1 / RATE)
    if kind == "pink":
        spec /= np.sqrt(np.maximum(f, 20.0))
    else:  # "street": low-frequency rumble with slow level swings
        spec /= np.maximum(f, 50.0) ** 0.8
    noise = np.fft.irfft(spec, n=size)[:n]
    if kind == "street":
        noise *= 1 + 0.5 * np.sin(2 * np.pi * rng.uniform(0.2, 0.7) * np.arange(n) / RATE)
    return noise


def _rms(x: Floats) -> float:
    return float(np.sqrt(np.mean(x**2))) if x.size else 0.0


def _beep(rng: np.random.Generator) -> tuple[Floats, int, int]:
    hz = int(rng.choice([440, 500, 600, 800, 850, 1000, 1004, 1200, 1400, 1600, 2000]))
    ms = int(rng.uniform(200, 1500))
    t = np.arange(round(ms * RATE / 1000)) / RATE
    tone = np.sin(2 * np.pi * hz * t)
    ramp = np.minimum(1, np.minimum(t, t[-1] - t) / 0.005)  # 5 ms ramps, as real beeps have
    return tone * ramp, hz, ms


def _initial_silence_ms(rng: np.random.Generator) -> int:
    # 0-3 s, weighted toward real pick-up delays (most people and most voicemail
    # systems start within 1.5 s); the tail past 2.5 s exercises `initial_silence`.
    band = rng.choice(3, p=[0.8, 0.15, 0.05])
    lo, hi = [(0, 1500), (1500, 2500), (2500, 3000)][band]
    return int(rng.uniform(lo, hi))


def _join(parts: list[Floats], rng: np.random.Generator, gap_ms: tuple[float, float]) -> Floats:
    out: list[Floats] = []
    for i, part in enumerate(parts):
        if i:
            out.append(_silence(rng.uniform(*gap_ms)))
        out.append(part)
    return np.concatenate(out)


def _human(
    rng: np.random.Generator,
    tts: Tts,
    ph: Phrases,
    voice: str,
    speed: int,
    pitch: int,
    kind: str | None = None,
) -> tuple[str, Floats, str, Floats]:
    if kind is None:
        kind = str(
            rng.choice(
                ["one", "two", "sentence", "twice", "business"], p=[0.25, 0.2, 0.25, 0.1, 0.2]
            )
        )
    if kind == "twice":
        hello = tts.say(ph.hello, voice, speed, pitch)
        text = f"{ph.hello} .. {ph.hello}"
        speech = _join([hello, hello], rng, (300, 1500))
    else:
        text = str(rng.choice(getattr(ph, kind)))
        speech = tts.say(text, voice, speed, pitch)
    tail = _silence(rng.uniform(2500, 4500))
    if rng.random() < 0.4:  # an impatient callee speaks again: AMD must have decided by then
        tail = np.concatenate([tail, tts.say(ph.anyone, voice, speed, pitch), _silence(1000)])
        text += " ... " + ph.anyone
    return kind, speech, text, tail


def _machine(
    rng: np.random.Generator,
    tts: Tts,
    ph: Phrases,
    voice: str,
    speed: int,
    pitch: int,
    kind: str | None = None,
) -> tuple[str, Floats, str]:
    if kind is None:
        kind = str(rng.choice(["long", "short", "carrier"], p=[0.5, 0.2, 0.3]))
    pool = {"long": ph.long_greeting, "short": ph.short_greeting, "carrier": ph.carrier}[kind]
    sentences = list(pool[int(rng.integers(len(pool)))])
    parts = [tts.say(s, voice, speed, pitch) for s in sentences]
    return kind, _join(parts, rng, (150, 900)), " ".join(sentences)


@dataclass(frozen=True)
class Scene(Call):
    """One call before the telephone channel: the clean signal and what is in it."""

    initial_silence_ms: int
    signal: Floats  # initial silence, speech (and beep), tail
    speech_ms: int
    greeting_end_ms: int
    beep_hz: int
    beep_ms: int
    text: str
    speech_level: float  # RMS of the speech on the line
    noise: str
    clean_snr_db: float
    extra_silence_ms: int  # the `late` variant's added initial silence
    loss_pct: float  # the `alaw_loss` variant's packet loss


def make_scene(
    rng: np.random.Generator, tts: Tts, split: str, label: str, hard: bool = False
) -> Scene:
    """One call; `hard`: a business-answer human, or a short voicemail with no beep."""
    if split in ENGINE_SPLITS:
        voices = ENGINE_SPLITS[split]
        voice, lang = voices[int(rng.integers(len(voices)))]
    else:
        langs, variants = SPLITS[split]
        lang = str(rng.choice(langs))
        variant = str(rng.choice(variants))
        voice = f"{lang}+{variant}"
    speed = int(rng.integers(130, 200))
    pitch = int(rng.integers(25, 75))
    ph = PHRASES[lang]
    initial_ms = _initial_silence_ms(rng)
    beep_hz = beep_ms = 0
    if label == "human":
        forced = "business" if hard else None
        kind, speech, text, tail = _human(rng, tts, ph, voice, speed, pitch, forced)
        body = [speech]
        end_ms = initial_ms + round(speech.size * 1000 / RATE)
    else:
        kind, speech, text = _machine(rng, tts, ph, voice, speed, pitch, "short" if hard else None)
        body = [speech]
        end_ms = initial_ms + round(speech.size * 1000 / RATE)
        if not hard and rng.random() < 0.7:
            kind += "+beep"
            gap = _silence(rng.uniform(100, 700))
            tone, beep_hz, beep_ms = _beep(rng)
            body += [gap, tone * rng.uniform(0.3, 1.0) * speech.std() * 1.4]
            end_ms += round((gap.size + tone.size) * 1000 / RATE)
        tail = _silence(rng.uniform(2000, 3000))
    signal = np.concatenate([_silence(initial_ms), *body, tail])
    speech_level = 10 ** (rng.uniform(-28, -12) / 20) * 32768
    signal *= speech_level / max(_rms(speech), 1e-9)
    return Scene(
        label=label,
        kind=kind,
        lang=lang,
        voice=voice,
        speed=speed,
        pitch=pitch,
        initial_silence_ms=initial_ms,
        signal=signal,
        speech_ms=round(speech.size * 1000 / RATE),
        greeting_end_ms=end_ms,
        beep_hz=beep_hz,
        beep_ms=beep_ms,
        text=text,
        speech_level=speech_level,
        noise=str(rng.choice(["white", "pink", "street"])),
        clean_snr_db=float(rng.choice([40, 30, 25, 20])),
        extra_silence_ms=int(rng.uniform(500, 3000)),
        loss_pct=float(np.round(rng.uniform(1, 5), 1)),
    )


VARIANTS = ("clean", "late", "snr10", "snr5", "alaw_loss", "alaw_burst")
"""Every call is rendered through the line once per variant, changing one thing:
`clean` (SNR 20-40 dB, µ-law), `late` (0.5-3 s more initial silence), `snr10` and
`snr5` (the same noise, louder), `alaw_loss` (A-law with 1-5 % of 20 ms packets
lost independently and replaced by silence, as a jitter buffer without concealment
plays them), `alaw_burst` (the same loss rate in bursts: `burst_loss`)."""

BURST_PACKETS = (2.0, 12.0)
"""`alaw_burst`: the mean burst length, in 20 ms packets, drawn per call in this range."""


def burst_loss(rng: np.random.Generator, packets: int, loss_pct: float) -> npt.NDArray[np.intp]:
    """Lost packet indices from a two-state (Gilbert) model: every packet is lost in the
    bad state, none in the good one. The mean burst is drawn from `BURST_PACKETS`, the
    stationary loss rate is `loss_pct`; bursts are geometric, so a few run to several
    times the mean (a 200-800 ms outage now and then)."""
    mean_burst = rng.uniform(*BURST_PACKETS)
    p_end = 1 / mean_burst  # bad -> good
    rate = loss_pct / 100
    p_start = rate * p_end / (1 - rate)  # good -> bad
    draws = rng.random(packets)
    bad = draws[0] < rate
    lost = np.zeros(packets, dtype=bool)
    for k in range(packets):
        if k:
            bad = draws[k] >= p_end if bad else draws[k] < p_start
        lost[k] = bad
    return np.flatnonzero(lost)


def render(
    scene: Scene, variant: str, noise_seed: list[int]
) -> tuple[Floats, dict[str, float | int | str]]:
    """The scene through a telephone line: noise, band limit, G.711 (and loss)."""
    signal = scene.signal
    extra = scene.extra_silence_ms if variant == "late" else 0
    if extra:
        signal = np.concatenate([_silence(extra), signal])
    snr_db = {"snr10": 10.0, "snr5": 5.0}.get(variant, scene.clean_snr_db)
    rng = np.random.default_rng(noise_seed)  # the same noise in every variant
    noise = _noise(rng, scene.noise, signal.size)
    noise *= scene.speech_level / 10 ** (snr_db / 20) / max(_rms(noise), 1e-9)
    line = _band_limit(signal + noise)
    pcm = np.clip(np.round(line), -32768, 32767).astype(np.int16)
    law = "alaw" if variant.startswith("alaw") else "ulaw"
    pcm = alaw_decode(alaw_encode(pcm)) if law == "alaw" else ulaw_decode(ulaw_encode(pcm))
    loss = scene.loss_pct if variant in ("alaw_loss", "alaw_burst") else 0.0
    lost: npt.NDArray[np.intp] = np.zeros(0, dtype=np.intp)
    if loss:
        packets = pcm.size // 160
        if variant == "alaw_burst":
            lost = burst_loss(rng, packets, loss)
        else:
            lost = np.flatnonzero(rng.random(packets) < loss / 100)
        pcm = pcm.copy()
        for k in lost:
            pcm[k * 160 : (k + 1) * 160] = 0
    meta: dict[str, float | int | str] = {
        "snr_db": snr_db,
        "law": law,
        "loss_pct": loss,
        "lost": " ".join(str(int(k)) for k in lost),
        "initial_silence_ms": scene.initial_silence_ms + extra,
        "greeting_end_ms": scene.greeting_end_ms + extra,
    }
    return pcm.astype(np.float64), meta


def make_files(
    rng: np.random.Generator,
    tts: Tts,
    split: str,
    index: int,
    label: str,
    noise_seed: list[int],
    variants: tuple[str, ...] = VARIANTS,
    hard: bool = False,
) -> list[tuple[Row, Floats]]:
    scene = make_scene(rng, tts, split, label, hard)
    out: list[tuple[Row, Floats]] = []
    for variant in variants:
        pcm, meta = render(scene, variant, noise_seed)
        row = Row(
            file=f"{split}/{variant}/{split}-{index:04d}-{label}.wav",
            split=split,
            variant=variant,
            **{f.name: getattr(scene, f.name) for f in fields(Call)},
            snr_db=float(meta["snr_db"]),
            noise=scene.noise,
            law=str(meta["law"]),
            loss_pct=float(meta["loss_pct"]),
            lost=str(meta["lost"]),
            initial_silence_ms=int(meta["initial_silence_ms"]),
            speech_ms=scene.speech_ms,
            greeting_end_ms=int(meta["greeting_end_ms"]),
            beep_hz=scene.beep_hz,
            beep_ms=scene.beep_ms,
            text=scene.text,
        )
        out.append((row, pcm))
    return out


def build(
    out: Path, seed: int = 7, per_split: int = 200, variants: tuple[str, ...] = VARIANTS
) -> Path:
    """Write the corpus under `out` and return the path of its labels.csv."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        tts = Tts(Path(tmp))
        try:
            _build_splits(out, seed, per_split, variants, tts, rows)
        finally:
            tts.close()
    labels = out / "labels.csv"
    with labels.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(asdict(rows[0])))
        writer.writeheader()
        writer.writerows(asdict(r) for r in rows)
    return labels


def _build_splits(
    out: Path, seed: int, per_split: int, variants: tuple[str, ...], tts: Tts, rows: list[Row]
) -> None:
    for split_no, split in enumerate([*SPLITS, *ENGINE_SPLITS]):
        rng = np.random.default_rng([seed, split_no])
        for variant in variants:
            (out / split / variant).mkdir(parents=True, exist_ok=True)
        for i in range(per_split):
            label = "human" if i % 2 == 0 else "machine"
            for row, pcm in make_files(rng, tts, split, i, label, [seed, split_no, i], variants):
                write_wav_8k(out / row.file, pcm.astype(np.int16))
                rows.append(row)
        # The hard cases of issue 20, in every split and engine (a separate random
        # stream, so the calls above do not change): businesses answering with one
        # 3-4 s sentence, and short voicemail greetings with no beep.
        hard_rng = np.random.default_rng([seed, split_no, HARD_STREAM])
        for j in range(hard_per_split(per_split)):
            i = per_split + j
            label = "human" if j % 2 == 0 else "machine"
            files = make_files(
                hard_rng, tts, split, i, label, [seed, split_no, i], variants, hard=True
            )
            for row, pcm in files:
                write_wav_8k(out / row.file, pcm.astype(np.int16))
                rows.append(row)


HARD_STREAM = 20


def hard_per_split(per_split: int) -> int:
    """Extra hard calls per split: a third as many as the regular ones, half of each kind."""
    return 2 * (per_split // 6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", nargs="?", default=".ringcast/amd-corpus", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-split", type=int, default=200)
    args = parser.parse_args()
    labels = build(args.out, args.seed, args.per_split)
    print(f"wrote {labels}")


if __name__ == "__main__":
    main()
