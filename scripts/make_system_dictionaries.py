"""Generate the system dictionaries (fr, ar, en) shipped with ringcast.

Each key's text is spoken by espeak-ng (voices fr, ar, en-us), converted by
sox to 8 kHz signed 16-bit mono, trimmed of leading/trailing silence with
numpy (a 10 ms margin kept), peak-normalised to -3 dBFS and written as raw
G.711 µ-law (`<key>.ulaw`, 8 KB per second) under
`src/ringcast/assets/dictionaries/<lang>/`, with a `manifest.json`
(key → file, duration_ms, text). Nothing is synthesised at run time; run this
script again only to change the clips, and commit its output.

    .venv/bin/python scripts/make_system_dictionaries.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from ringcast.audio.g711 import ulaw_encode

OUT = Path(__file__).resolve().parent.parent / "src/ringcast/assets/dictionaries"
VOICES = {"fr": "fr", "ar": "ar", "en": "en-us"}
SPEED_WPM = {"fr": 165, "en": 165, "ar": 185}  # espeak's Arabic is slow; keep it brisk
SILENCE_LEVEL = 200  # |sample| under this is silence (about -44 dBFS)
MARGIN_SAMPLES = 80  # 10 ms kept around the speech
PEAK = int(32767 * 0.708)  # -3 dBFS
# -D (no dither) keeps the output byte-identical from run to run
TELEPHONY_RAW = ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"]


def english() -> dict[str, str]:
    units = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ]
    tens = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
    ordinals = [
        "first",
        "second",
        "third",
        "fourth",
        "fifth",
        "sixth",
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "sixteenth",
        "seventeenth",
        "eighteenth",
        "nineteenth",
        "twentieth",
    ]
    ordinals += [f"twenty-{o}" for o in ordinals[:9]] + ["thirtieth", "thirty-first"]
    months = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ]
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    words: dict[str, str] = {str(i): w for i, w in enumerate(units)}
    words |= {str(20 + 10 * i): w for i, w in enumerate(tens)}
    words |= {"100": "one hundred", "hundred": "hundred", "thousand": "thousand"}
    words |= {"million": "million", "billion": "billion", "and": "and", "point": "point"}
    words |= {"minus": "minus", "plus": "plus", "oh": "oh"}
    words |= {f"ord_{i + 1}": w for i, w in enumerate(ordinals)}
    words |= {f"month_{i + 1}": w for i, w in enumerate(months)}
    words |= {f"weekday_{i + 1}": w for i, w in enumerate(days)}
    words |= {w: w for w in ("dirhams", "euros", "dollars", "cents", "centimes")}
    return words


def french() -> dict[str, str]:
    units = [
        "zéro",
        "un",
        "deux",
        "trois",
        "quatre",
        "cinq",
        "six",
        "sept",
        "huit",
        "neuf",
        "dix",
        "onze",
        "douze",
        "treize",
        "quatorze",
        "quinze",
        "seize",
        "dix-sept",
        "dix-huit",
        "dix-neuf",
    ]
    tens = {20: "vingt", 30: "trente", 40: "quarante", 50: "cinquante", 60: "soixante"}
    words: dict[str, str] = {str(i): w for i, w in enumerate(units)}
    # 21..69 compose well ("vingt" "et" "un", "vingt" "deux"): only the tens are
    # recorded; 70..99 are irregular and recorded whole.
    words |= {str(t): w for t, w in tens.items()}
    for n in range(70, 100):
        if n < 80:
            words[str(n)] = "soixante" + (" et onze" if n == 71 else f"-{units[n - 60]}")
        else:
            words[str(n)] = "quatre-vingts" if n == 80 else f"quatre-vingt-{units[n - 80]}"
    words["100"] = "cent"
    words |= {str(h * 100): f"{units[h]} cents" for h in range(2, 10)}
    words |= {"hundred": "cent", "hundreds": "cents", "thousand": "mille"}
    words |= {"million": "million", "millions": "millions"}
    words |= {"billion": "milliard", "billions": "milliards"}
    words |= {"and": "et", "point": "virgule", "minus": "moins", "plus": "plus", "ord_1": "premier"}
    months = "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
    words |= {f"month_{i + 1}": w for i, w in enumerate(months.split())}
    days = "lundi mardi mercredi jeudi vendredi samedi dimanche"
    words |= {f"weekday_{i + 1}": w for i, w in enumerate(days.split())}
    words |= {w: w for w in ("dirhams", "euros", "dollars", "cents", "centimes")}
    return words


def arabic() -> dict[str, str]:
    units = [
        "صِفْر", "وَاحِد", "اِثْنَان", "ثَلَاثَة", "أَرْبَعَة", "خَمْسَة",
        "سِتَّة", "سَبْعَة", "ثَمَانِيَة", "تِسْعَة", "عَشَرَة",
    ]  # fmt: skip
    teen_units = ["", "أَحَدَ", "اِثْنَا", "ثَلَاثَةَ", "أَرْبَعَةَ", "خَمْسَةَ",
                  "سِتَّةَ", "سَبْعَةَ", "ثَمَانِيَةَ", "تِسْعَةَ"]  # fmt: skip
    tens = ["", "", "عِشْرُون", "ثَلَاثُون", "أَرْبَعُون", "خَمْسُون",
            "سِتُّون", "سَبْعُون", "ثَمَانُون", "تِسْعُون"]  # fmt: skip
    hundreds = ["", "مِئَة", "مِئَتَان", "ثَلَاثُمِئَة", "أَرْبَعُمِئَة", "خَمْسُمِئَة",
                "سِتُّمِئَة", "سَبْعُمِئَة", "ثَمَانِمِئَة", "تِسْعُمِئَة"]  # fmt: skip
    words: dict[str, str] = {str(i): w for i, w in enumerate(units)}
    words |= {str(10 + i): f"{teen_units[i]} عَشَرَ" for i in range(1, 10)}
    for n in range(20, 100):
        t, u = divmod(n, 10)
        words[str(n)] = tens[t] if u == 0 else f"{units[u]} وَ{tens[t]}"
    words |= {str(h * 100): hundreds[h] for h in range(1, 10)}
    words["200_construct"] = "مِئَتَا"  # مئتا ألف: the dual before a noun
    forms = {
        "thousand": ("أَلْف", "أَلْفَان", "آلَاف", "أَلْفًا"),
        "million": ("مِلْيُون", "مِلْيُونَان", "مَلَايِين", "مِلْيُونًا"),
        "billion": ("مِلْيَار", "مِلْيَارَان", "مِلْيَارَات", "مِلْيَارًا"),
    }
    for name, (single, dual, plural, acc) in forms.items():
        words |= {name: single, f"{name}_dual": dual, f"{name}s": plural, f"{name}_acc": acc}
    words |= {"and": "وَ", "point": "فَاصِلَة", "minus": "نَاقِص", "plus": "زَائِد"}
    months = ["يَنَايِر", "فِبْرَايِر", "مَارِس", "أَبْرِيل", "مَايُو", "يُونْيُو", "يُولْيُو",
              "أُغُسْطُس", "سِبْتَمْبِر", "أُكْتُوبَر", "نُوفَمْبِر", "دِيسَمْبِر"]  # fmt: skip
    words |= {f"month_{i + 1}": w for i, w in enumerate(months)}
    days = ["الاِثْنَيْن", "الثُّلَاثَاء", "الأَرْبِعَاء", "الخَمِيس", "الجُمُعَة", "السَّبْت", "الأَحَد"]
    words |= {f"weekday_{i + 1}": w for i, w in enumerate(days)}
    words |= {"dirhams": "دَرَاهِم", "euros": "يُورُو", "dollars": "دُولَار"}
    words |= {"centimes": "سَنْتِيم", "cents": "سَنْت"}
    return words


def synthesize(language: str, text: str) -> np.ndarray:
    speech = subprocess.run(
        ["espeak-ng", "-v", VOICES[language], "-s", str(SPEED_WPM[language]), "--stdout", text],
        check=True,
        capture_output=True,
    ).stdout
    raw = subprocess.run(
        ["sox", "-D", "-t", "wav", "-", "-t", "raw", *TELEPHONY_RAW, "-"],
        input=speech,
        check=True,
        capture_output=True,
    ).stdout
    pcm = np.frombuffer(raw, dtype="<i2").astype(np.int32)
    loud = np.flatnonzero(np.abs(pcm) > SILENCE_LEVEL)
    if len(loud) == 0:
        raise RuntimeError(f"espeak-ng produced silence for {text!r}")
    start = max(0, int(loud[0]) - MARGIN_SAMPLES)
    end = min(len(pcm), int(loud[-1]) + MARGIN_SAMPLES)
    trimmed = pcm[start:end].astype(np.float64)
    trimmed *= PEAK / np.max(np.abs(trimmed))
    return np.rint(trimmed).astype(np.int16)


def file_name(key: str) -> str:
    return f"{key}.ulaw"  # keys are [a-z0-9_] only, safe as file names


def build(language: str, words: dict[str, str]) -> int:
    folder = OUT / language
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    entries = {}
    for key, text in sorted(words.items()):
        pcm = synthesize(language, text)
        (folder / file_name(key)).write_bytes(ulaw_encode(pcm))
        entries[key] = {"file": file_name(key), "duration_ms": len(pcm) // 8, "text": text}
    manifest = {
        "language": language,
        "voice": f"espeak-ng {VOICES[language]}",
        "encoding": "ulaw",
        "sample_rate": 8000,
        "entries": entries,
    }
    (folder / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    return sum(f.stat().st_size for f in folder.iterdir())


def main() -> None:
    tables = {"en": english(), "fr": french(), "ar": arabic()}
    total = 0
    for language in sys.argv[1:] or list(tables):
        size = build(language, tables[language])
        total += size
        print(f"{language}: {len(tables[language])} clips, {size / 1024:.0f} KiB")
    print(f"total {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
