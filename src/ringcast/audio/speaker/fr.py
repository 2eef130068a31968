"""French numbers (France: soixante-dix, quatre-vingts, not septante/huitante).

Rules, as the keys show them:
- 0-16 are single words; 17-19 are "dix-sept" = "10" "7".
- 21, 31 .. 61 take "et": "vingt et un" = "20" "and" "1"; 71 is "soixante et
  onze" = "60" "and" "11"; 81 and 91 take no "et": "quatre-vingt-un" = "80" "1".
- 70-79 are "soixante" + 10-19; 80-99 are "quatre-vingt(s)" + 0-19
  ("80" falls back to "4" "20": quatre vingts).
- "cent" alone for 100 (never "un cent"); "deux cents" takes the plural key
  "hundreds" when nothing follows it and it is not followed by "mille"
  ("deux cent mille", but "deux cents millions"); "deux cent un".
- "mille" alone for 1000 (never "un mille") and invariable ("deux mille").
- "un million", "deux millions", "un milliard", "deux milliards" (nouns:
  plural keys "millions", "billions", falling back to the singular clip).
The "s" of "quatre-vingts" changes spelling only (no liaison before a
consonant), so one clip "80" serves both forms.
Decimals: "douze virgule cinquante" — the fraction's leading zeros one by one,
then the rest as a number when it has at most 3 digits, else digit by digit.
Dates: "le 1er mars" reads "premier" ("ord_1"), other days are cardinals.
"""

from __future__ import annotations

from ringcast.audio.speaker.base import Keys, Speaker


class FrenchSpeaker(Speaker):
    language = "fr"
    fraction_as_number = True

    def eighty(self) -> Keys:
        return self.first(lambda: self.key("80"), lambda: self.key("4") + self.key("20"))

    def under_100(self, n: int) -> Keys:
        if n <= 16:
            return self.key(str(n))
        if n < 20:
            return self.whole_or(n, lambda: self.key("10") + self.key(str(n - 10)))
        if n == 80:
            return self.eighty()
        tens, unit = divmod(n, 10)
        if n < 70 and unit == 0:
            return self.key(str(n))
        if n < 70:
            base, rest = tens * 10, unit
        elif n < 80:
            base, rest = 60, n - 60
        else:
            return self.whole_or(n, lambda: self.eighty() + self.under_100(n - 80))
        # "et" only for 21..61 and 71 (rest 1 or 11 after 20..60); never after 80.
        connector = self.key("and") if rest in (1, 11) else []
        return self.whole_or(n, lambda: self.key(str(base)) + connector + self.under_100(rest))

    def hundreds(self, digit: int, plural: bool) -> Keys:
        if digit == 1:
            return self.whole_or(100, lambda: self.key("hundred"))

        def word() -> Keys:
            if plural:
                return self.first(lambda: self.key("hundreds"), lambda: self.key("hundred"))
            return self.key("hundred")

        return self.whole_or(digit * 100, lambda: self.key(str(digit)) + word())

    def under_1000(self, n: int, before_mille: bool = False) -> Keys:
        hundreds, rest = divmod(n, 100)
        if hundreds == 0:
            return self.under_100(rest)
        plural = rest == 0 and not before_mille

        def split() -> Keys:
            return self.hundreds(hundreds, plural) + (self.under_100(rest) if rest else [])

        return self.whole_or(n, split)

    def counted(self, count: int, name: str) -> Keys:
        if name == "thousand":
            if count == 1:
                return self.key("thousand")  # "mille", never "un mille"
            return self.cardinal_before_mille(count) + self.key("thousand")
        noun = (
            self.key(name)
            if count == 1
            else self.first(lambda: self.key(name + "s"), lambda: self.key(name))
        )
        return self.cardinal(count) + noun

    def cardinal_before_mille(self, count: int) -> Keys:
        return self.under_1000(count, before_mille=True)

    def day(self, day: int) -> Keys:
        if day == 1:
            return self.first(lambda: self.key("ord_1"), lambda: self.key("1"))
        return self.cardinal(day)
