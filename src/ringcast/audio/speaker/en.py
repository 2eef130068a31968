"""English (American) numbers: "one thousand five hundred twenty-three".

Rules: 0-19 are single words; 21-99 are the tens word then the unit
("twenty-three" = "20" "3"); hundreds are "<digit> hundred" (never bare
"hundred"); scales "thousand", "million", "billion" take no plural and no
"and" (the American reading; "and" stays in the dictionary for sentences like
"ten dollars and five cents"). Language "en-GB" is the British reading: "and"
before the last part under 100 ("one hundred and one", "two thousand and five"). Decimals read digit by digit ("twelve point
five zero"). Dates: "March fifth twenty twenty-four" (month, ordinal day,
year in pairs; 2000-2009 as "two thousand five").
"""

from __future__ import annotations

from ringcast.audio.speaker.base import Keys, Speaker


class EnglishSpeaker(Speaker):
    language = "en"
    british = False

    def under_100(self, n: int) -> Keys:
        tens, unit = divmod(n, 10)
        if n < 20 or unit == 0:
            return self.key(str(n))
        return self.whole_or(n, lambda: self.key(str(tens * 10)) + self.key(str(unit)))

    def hundreds(self, digit: int) -> Keys:
        return self.whole_or(digit * 100, lambda: self.key(str(digit)) + self.key("hundred"))

    def under_1000(self, n: int) -> Keys:
        hundreds, rest = divmod(n, 100)
        if hundreds == 0:
            return self.under_100(rest)

        def split() -> Keys:
            if not rest:
                return self.hundreds(hundreds)
            return self.hundreds(hundreds) + self.british_and() + self.under_100(rest)

        return self.whole_or(n, split)

    def british_and(self) -> Keys:
        return self.key("and") if self.british else []

    def scale_joiner(self, rest: int) -> Keys:
        return self.british_and() if rest < 100 else []

    def counted(self, count: int, scale: str) -> Keys:
        return self.cardinal(count) + self.key(scale)

    def day(self, day: int) -> Keys:
        return self.first(lambda: self.key(f"ord_{day}"), lambda: self.cardinal(day))

    def year(self, year: int) -> Keys:
        high, low = divmod(year, 100)
        if year < 1100 or 2000 <= year <= 2009 or (high % 10 == 0 and low == 0):
            return self.cardinal(year)
        if low == 0:
            return self.under_100(high) + self.key("hundred")  # "nineteen hundred"
        if low < 10:
            # "nineteen oh five"
            return (
                self.under_100(high)
                + self.first(lambda: self.key("oh"), lambda: self.key("0"))
                + self.key(str(low))
            )
        return self.under_100(high) + self.under_100(low)

    def date_order(self, day: Keys, month: Keys, year: Keys) -> Keys:
        return month + day + year


class BritishSpeaker(EnglishSpeaker):
    """en-GB: "one hundred and twenty-three", "one thousand and one"."""

    language = "en-gb"
    british = True
