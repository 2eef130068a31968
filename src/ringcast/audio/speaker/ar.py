"""Arabic numbers (Modern Standard Arabic, masculine counting forms).

Rules, as the keys show them:
- 0-19 are single keys ("11" أحد عشر, "12" اثنا عشر, "13" ثلاثة عشر ...);
- 21-99: the unit before the tens, joined with و: 23 = ثلاثة وعشرون =
  "3" "and" "20";
- hundreds are single words: "100" مئة, "200" مئتان (dual), "300" ثلاثمئة ...
  "900" تسعمئة (a dictionary without "300" falls back to "3" "100");
- parts are joined with و: 123 = مئة وثلاثة وعشرون = "100" "and" "3" "and" "20";
- a scale noun (thousand/million/billion) agrees with the last two digits of
  its count: 1 → the noun alone (ألف), 2 → the dual alone (ألفان,
  "<scale>_dual"), 3-10 → count + plural (ثلاثة آلاف, "<scale>s"), 11-99 →
  count + accusative singular (أحد عشر ألفًا, "<scale>_acc", falling back to
  the singular clip), and a round hundred count → genitive singular (مئة ألف;
  مئتا ألف with the construct dual "200_construct", falling back to "200");
  a count of 101 reads مئة وألف (the noun stands for the 1).
Decimals: "اثنا عشر فاصلة خمسون" — like French, leading zeros one by one then
the rest as a number (at most 3 digits). Dates: day (cardinal), month name
(the Egyptian/Gulf names يناير .. ديسمبر), year.
"""

from __future__ import annotations

from ringcast.audio.speaker.base import Keys, Speaker


class ArabicSpeaker(Speaker):
    language = "ar"
    fraction_as_number = True

    def under_100(self, n: int) -> Keys:
        tens, unit = divmod(n, 10)
        if n < 20 or unit == 0:
            return self.key(str(n))
        return self.whole_or(
            n, lambda: self.key(str(unit)) + self.key("and") + self.key(str(tens * 10))
        )

    def hundreds(self, digit: int) -> Keys:
        if digit == 1:
            return self.key("100")
        return self.whole_or(digit * 100, lambda: self.key(str(digit)) + self.key("100"))

    def under_1000(self, n: int) -> Keys:
        hundreds, rest = divmod(n, 100)
        if hundreds == 0:
            return self.under_100(rest)

        def split() -> Keys:
            head = self.hundreds(hundreds)
            return head + (self.key("and") + self.under_100(rest) if rest else [])

        return self.whole_or(n, split)

    def scale_joiner(self, rest: int) -> Keys:
        return self.key("and")

    def counted(self, count: int, name: str) -> Keys:
        """`count` (1..999) of a scale noun, with the noun in the form the count governs."""
        hundreds, rest = divmod(count, 100)
        head = self.hundreds(hundreds) if hundreds else []
        if rest == 0:
            if hundreds == 2:  # مئتا ألف: the dual loses its ن before the noun
                head = self.first(lambda: self.key("200_construct"), lambda: self.hundreds(2))
            return head + self.key(name)  # مئة ألف: genitive singular
        join = self.key("and") if head else []
        if rest == 1:
            tail = self.key(name)
        elif rest == 2:
            tail = self.first(
                lambda: self.key(f"{name}_dual"), lambda: self.key("2") + self.key(name)
            )
        elif rest <= 10:
            tail = self.under_100(rest) + self.key(f"{name}s")
        else:
            tail = self.under_100(rest) + self.first(
                lambda: self.key(f"{name}_acc"), lambda: self.key(name)
            )
        return head + join + tail
