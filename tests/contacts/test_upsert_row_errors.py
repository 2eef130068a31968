"""What a bad upsert row is told, pinned: every field's error message, code,
params and path, the cap on problems per row, rows that are not objects, and
what a good row stores (stripped text, keys by field name, nulls). The same
rows in a body that holds a NUL (checked by the schema with its NUL check)
get the same answers. Written before the rows were checked without a model
per row: a faster check must answer exactly this."""

from __future__ import annotations

from typing import Any

import pytest

LONG = "x" * 101
ROWS: list[Any] = [
    # good rows, with what the schema does to them (strip, by-name keys, nulls)
    {
        "primaryPhone": "  +212612345601  ",
        "firstName": "  Ali  ",
        "lastName": "\tB\n",
        "channels": [" sms ", "voice"],
        "gender": "male",
        "customAttributes": {"score": 5},
    },
    {
        "primaryPhone": "+212612345602",
        "firstName": None,
        "gender": None,
        "channels": None,
        "customAttributes": None,
        "primaryEmail": None,
    },
    {"primary_phone": "+212612345603", "first_name": "by name", "preferred_channel": "sms"},
    {
        "primaryPhone": "+212612345604",
        "fullName": "f" * 200,
        "zip": "z" * 20,
        "address": "a" * 500,
        "state": "s" * 100,
        "occupation": "o" * 100,
        "preferredChannel": "p" * 50,
        "channels": ["c" * 50] * 20,
        "gender": "female",
        "primaryEmail": " user@example.com ",
    },
    {"primaryPhone": "+212612345605", "customAttributes": {"score": None}},
    {
        "primaryPhone": "+212612345606",
        "firstName": "\u00a0Zo\u00e9\u3000",
        "city": "\x1cdar\x1f",
        "lastName": "\u2003\u0085x\u180e",
        "channels": [],
    },
    {"primaryPhone": "+212612345607", "firstName": "f" * 99 + "  ", "customAttributes": {}},
    {"primaryPhone": "+212612345608", "firstName": "  ", "lastName": ""},
    # bad rows
    {"primaryPhone": "+212612345610", "nickname": "x"},
    {"primaryPhone": 212612345611},
    {"primaryPhone": None},
    {"firstName": "no phone"},
    {"primaryPhone": "06-12-34-56-78"},
    {"primaryPhone": "0612345678"},
    {"primaryPhone": "+2126123456789012345"},
    {"primaryPhone": "+21a612345678"},
    {"primaryPhone": "+999123456"},
    {"primaryPhone": "+2121"},
    {"primaryPhone": "+212012345678"},
    {"primaryPhone": ""},
    {"primaryPhone": "   "},
    {"primaryPhone": "+212612345612", "firstName": LONG},
    {"primaryPhone": "+212612345613", "firstName": 5},
    {"primaryPhone": "+212612345614", "firstName": True},
    {"primaryPhone": "+212612345615", "firstName": ["a"]},
    {"primaryPhone": "+212612345616", "firstName": {"a": 1}},
    {"primaryPhone": "+212612345617", "firstName": 1.5},
    {"primaryPhone": "+212612345618", "primaryEmail": "nope"},
    {"primaryPhone": "+212612345619", "primaryEmail": "a" * 250 + "@x.com"},
    {"primaryPhone": "+212612345620", "primaryEmail": 7},
    {"primaryPhone": "+212612345621", "gender": "robot"},
    {"primaryPhone": "+212612345622", "gender": " male"},
    {"primaryPhone": "+212612345623", "gender": "Male"},
    {"primaryPhone": "+212612345624", "gender": 1},
    {"primaryPhone": "+212612345625", "channels": "sms"},
    {"primaryPhone": "+212612345626", "channels": ["c"] * 21},
    {"primaryPhone": "+212612345627", "channels": ["sms", ""]},
    {"primaryPhone": "+212612345628", "channels": ["c" * 51]},
    {"primaryPhone": "+212612345629", "channels": [3, None]},
    {"primaryPhone": "+212612345630", "channels": ["  "]},
    {"primaryPhone": "+212612345631", "channels": {"a": "b"}},
    {"primaryPhone": "+212612345632", "customAttributes": "x"},
    {"primaryPhone": "+212612345633", "customAttributes": ["score"]},
    {"primaryPhone": "+212612345634", "customAttributes": {"nope": 1}},
    {"primaryPhone": "+212612345635", "customAttributes": {"score": "high"}},
    {"primaryPhone": "+212612345636", "customAttributes": {"score": True}},
    {"primaryPhone": "+212612345637", "customAttributes": {" score ": 1}},
    {
        "primaryPhone": "+212612345638",
        "customAttributes": {
            "due": "2026-02-30",
            "site": "ftp://x",
            "mobile": "+2121",
            "vip": "yes",
            "mail": "no",
            "note": "n" * 2001,
        },
    },
    {
        "primaryPhone": "+2121",
        "firstName": LONG,
        "gender": "x",
        "channels": [""],
        "primaryEmail": "bad",
        "customAttributes": {"nope": 1, "score": "s"},
        "extra": 1,
    },
    {"primaryPhone": "+212612345639", **{f"k{i}": i for i in range(25)}},
    {"primaryPhone": "+212612345640", "customAttributes": {f"k{i}": i for i in range(30)}},
    {"primaryPhone": "+212612345641", "firstName": "both", "first_name": "both"},
    {"primaryPhone": "+212612345642", "city": "c" * 100 + "   "},
    {"primaryPhone": "+212612345643", "city": "c" * 101},
    "not an object",
    5,
    None,
    [],
    # duplicates: the last one wins
    {"primaryPhone": "+212612345601", "firstName": "again"},
]

ATTRIBUTES = [
    ("Score", "number"),
    ("Due", "date"),
    ("Site", "url"),
    ("Mobile", "phone_number"),
    ("Vip", "boolean"),
    ("Mail", "email"),
    ("Note", "text"),
]

# index → (primaryPhone as echoed, fieldErrors, fieldDetails)
FAILED: dict[int, tuple[Any, dict[str, list[str]], dict[str, list[dict[str, Any]]]]] = {
    8: (
        "+212612345610",
        {"nickname": ["Unknown property"]},
        {"nickname": [{"code": "extra_forbidden", "params": {}}]},
    ),
    9: (
        212612345611,
        {"primaryPhone": ["Input should be a valid string"]},
        {"primaryPhone": [{"code": "string_type", "params": {}}]},
    ),
    10: (
        None,
        {"primaryPhone": ["Input should be a valid string"]},
        {"primaryPhone": [{"code": "string_type", "params": {}}]},
    ),
    11: (
        None,
        {"primaryPhone": ["Field required"]},
        {"primaryPhone": [{"code": "missing", "params": {}}]},
    ),
    12: (
        "06-12-34-56-78",
        {
            "primaryPhone": [
                "Phone number must be in E.164 format: remove spaces, dashes, dots and brackets"
            ]
        },
        {"primaryPhone": [{"code": "e164_format", "params": {}}]},
    ),
    13: (
        "0612345678",
        {
            "primaryPhone": [
                "Phone number must be in E.164 format: start with + and the country code "
                "(e.g. +212612345678, not 0612345678)"
            ]
        },
        {"primaryPhone": [{"code": "e164_format", "params": {}}]},
    ),
    14: (
        "+2126123456789012345",
        {
            "primaryPhone": [
                "Phone number must be in E.164 format: E.164 numbers have at most 15 digits"
            ]
        },
        {"primaryPhone": [{"code": "e164_format", "params": {}}]},
    ),
    15: (
        "+21a612345678",
        {"primaryPhone": ["Phone number must be in E.164 format: use + followed by digits only"]},
        {"primaryPhone": [{"code": "e164_format", "params": {}}]},
    ),
    16: (
        "+999123456",
        {"primaryPhone": ["+999123456 has no known country calling code"]},
        {"primaryPhone": [{"code": "invalid_country_code", "params": {}}]},
    ),
    17: (
        "+2121",
        {"primaryPhone": ["+2121 is not a valid phone number for country MA"]},
        {"primaryPhone": [{"code": "invalid_number", "params": {}}]},
    ),
    18: (
        "+212012345678",
        {"primaryPhone": ["+212012345678 is not a valid phone number for country MA"]},
        {"primaryPhone": [{"code": "invalid_number", "params": {}}]},
    ),
    19: (
        "",
        {
            "primaryPhone": [
                "Phone number must be in E.164 format: start with + and the country code "
                "(e.g. +212612345678, not 0612345678)"
            ]
        },
        {"primaryPhone": [{"code": "e164_format", "params": {}}]},
    ),
    20: (
        "   ",
        {
            "primaryPhone": [
                "Phone number must be in E.164 format: start with + and the country code "
                "(e.g. +212612345678, not 0612345678)"
            ]
        },
        {"primaryPhone": [{"code": "e164_format", "params": {}}]},
    ),
    21: (
        "+212612345612",
        {"firstName": ["String should have at most 100 characters"]},
        {"firstName": [{"code": "string_too_long", "params": {"max_length": 100}}]},
    ),
    22: (
        "+212612345613",
        {"firstName": ["Input should be a valid string"]},
        {"firstName": [{"code": "string_type", "params": {}}]},
    ),
    23: (
        "+212612345614",
        {"firstName": ["Input should be a valid string"]},
        {"firstName": [{"code": "string_type", "params": {}}]},
    ),
    24: (
        "+212612345615",
        {"firstName": ["Input should be a valid string"]},
        {"firstName": [{"code": "string_type", "params": {}}]},
    ),
    25: (
        "+212612345616",
        {"firstName": ["Input should be a valid string"]},
        {"firstName": [{"code": "string_type", "params": {}}]},
    ),
    26: (
        "+212612345617",
        {"firstName": ["Input should be a valid string"]},
        {"firstName": [{"code": "string_type", "params": {}}]},
    ),
    27: (
        "+212612345618",
        {"primaryEmail": ["Not a valid email address"]},
        {"primaryEmail": [{"code": "email", "params": {}}]},
    ),
    28: (
        "+212612345619",
        {"primaryEmail": ["String should have at most 254 characters"]},
        {"primaryEmail": [{"code": "string_too_long", "params": {"max_length": 254}}]},
    ),
    29: (
        "+212612345620",
        {"primaryEmail": ["Input should be a valid string"]},
        {"primaryEmail": [{"code": "string_type", "params": {}}]},
    ),
    30: (
        "+212612345621",
        {"gender": ["Input should be 'male' or 'female'"]},
        {"gender": [{"code": "enum", "params": {"expected": "'male' or 'female'"}}]},
    ),
    31: (
        "+212612345622",
        {"gender": ["Input should be 'male' or 'female'"]},
        {"gender": [{"code": "enum", "params": {"expected": "'male' or 'female'"}}]},
    ),
    32: (
        "+212612345623",
        {"gender": ["Input should be 'male' or 'female'"]},
        {"gender": [{"code": "enum", "params": {"expected": "'male' or 'female'"}}]},
    ),
    33: (
        "+212612345624",
        {"gender": ["Input should be 'male' or 'female'"]},
        {"gender": [{"code": "enum", "params": {"expected": "'male' or 'female'"}}]},
    ),
    34: (
        "+212612345625",
        {"channels": ["Input should be a valid list"]},
        {"channels": [{"code": "list_type", "params": {}}]},
    ),
    35: (
        "+212612345626",
        {"channels": ["List should have at most 20 items after validation, not 21"]},
        {
            "channels": [
                {
                    "code": "too_long",
                    "params": {"field_type": "List", "max_length": 20, "actual_length": 21},
                }
            ]
        },
    ),
    36: (
        "+212612345627",
        {"channels[1]": ["String should have at least 1 character"]},
        {"channels[1]": [{"code": "string_too_short", "params": {"min_length": 1}}]},
    ),
    37: (
        "+212612345628",
        {"channels[0]": ["String should have at most 50 characters"]},
        {"channels[0]": [{"code": "string_too_long", "params": {"max_length": 50}}]},
    ),
    38: (
        "+212612345629",
        {
            "channels[0]": ["Input should be a valid string"],
            "channels[1]": ["Input should be a valid string"],
        },
        {
            "channels[0]": [{"code": "string_type", "params": {}}],
            "channels[1]": [{"code": "string_type", "params": {}}],
        },
    ),
    39: (
        "+212612345630",
        {"channels[0]": ["String should have at least 1 character"]},
        {"channels[0]": [{"code": "string_too_short", "params": {"min_length": 1}}]},
    ),
    40: (
        "+212612345631",
        {"channels": ["Input should be a valid list"]},
        {"channels": [{"code": "list_type", "params": {}}]},
    ),
    41: (
        "+212612345632",
        {"customAttributes": ["Input should be a valid dictionary"]},
        {"customAttributes": [{"code": "dict_type", "params": {}}]},
    ),
    42: (
        "+212612345633",
        {"customAttributes": ["Input should be a valid dictionary"]},
        {"customAttributes": [{"code": "dict_type", "params": {}}]},
    ),
    43: (
        "+212612345634",
        {
            "customAttributes.nope": [
                "Unknown custom attribute 'nope'; create it first (POST /api/custom-attributes)"
            ]
        },
        {"customAttributes.nope": [{"code": "unknown_attribute", "params": {"attribute": "nope"}}]},
    ),
    44: (
        "+212612345635",
        {"customAttributes.score": ["customAttributes.score must be a number"]},
        {
            "customAttributes.score": [
                {
                    "code": "attribute_type",
                    "params": {"attribute": "score", "expectedType": "number"},
                }
            ]
        },
    ),
    45: (
        "+212612345636",
        {"customAttributes.score": ["customAttributes.score must be a number"]},
        {
            "customAttributes.score": [
                {
                    "code": "attribute_type",
                    "params": {"attribute": "score", "expectedType": "number"},
                }
            ]
        },
    ),
    47: (
        "+212612345638",
        {
            "customAttributes.due": [
                "customAttributes.due must be a date (YYYY-MM-DD): no such day"
            ],
            "customAttributes.site": ["customAttributes.site must be a url (http:// or https://)"],
            "customAttributes.mobile": [
                "customAttributes.mobile must be a phone_number (E.164, e.g. "
                "+14155551234): +2121 is not a valid phone number for country "
                "MA"
            ],
            "customAttributes.vip": ["customAttributes.vip must be a boolean (true or false)"],
            "customAttributes.mail": ["customAttributes.mail must be a email"],
            "customAttributes.note": [
                "customAttributes.note must be a text (a string of at most 2000 "
                "characters): too long"
            ],
        },
        {
            "customAttributes.due": [
                {"code": "attribute_type", "params": {"attribute": "due", "expectedType": "date"}}
            ],
            "customAttributes.site": [
                {"code": "attribute_type", "params": {"attribute": "site", "expectedType": "url"}}
            ],
            "customAttributes.mobile": [
                {
                    "code": "attribute_type",
                    "params": {"attribute": "mobile", "expectedType": "phone_number"},
                }
            ],
            "customAttributes.vip": [
                {
                    "code": "attribute_type",
                    "params": {"attribute": "vip", "expectedType": "boolean"},
                }
            ],
            "customAttributes.mail": [
                {"code": "attribute_type", "params": {"attribute": "mail", "expectedType": "email"}}
            ],
            "customAttributes.note": [
                {"code": "attribute_type", "params": {"attribute": "note", "expectedType": "text"}}
            ],
        },
    ),
    48: (
        "+2121",
        {
            "firstName": ["String should have at most 100 characters"],
            "primaryEmail": ["Not a valid email address"],
            "gender": ["Input should be 'male' or 'female'"],
            "channels[0]": ["String should have at least 1 character"],
            "primaryPhone": ["+2121 is not a valid phone number for country MA"],
            "extra": ["Unknown property"],
            "customAttributes.nope": [
                "Unknown custom attribute 'nope'; create it first (POST /api/custom-attributes)"
            ],
            "customAttributes.score": ["customAttributes.score must be a number"],
        },
        {
            "firstName": [{"code": "string_too_long", "params": {"max_length": 100}}],
            "primaryEmail": [{"code": "email", "params": {}}],
            "gender": [{"code": "enum", "params": {"expected": "'male' or 'female'"}}],
            "channels[0]": [{"code": "string_too_short", "params": {"min_length": 1}}],
            "primaryPhone": [{"code": "invalid_number", "params": {}}],
            "extra": [{"code": "extra_forbidden", "params": {}}],
            "customAttributes.nope": [
                {"code": "unknown_attribute", "params": {"attribute": "nope"}}
            ],
            "customAttributes.score": [
                {
                    "code": "attribute_type",
                    "params": {"attribute": "score", "expectedType": "number"},
                }
            ],
        },
    ),
    49: (
        "+212612345639",
        {
            "k0": ["Unknown property"],
            "k1": ["Unknown property"],
            "k2": ["Unknown property"],
            "k3": ["Unknown property"],
            "k4": ["Unknown property"],
            "k5": ["Unknown property"],
            "k6": ["Unknown property"],
            "k7": ["Unknown property"],
            "k8": ["Unknown property"],
            "k9": ["Unknown property"],
            "k10": ["Unknown property"],
            "k11": ["Unknown property"],
            "k12": ["Unknown property"],
            "k13": ["Unknown property"],
            "k14": ["Unknown property"],
            "k15": ["Unknown property"],
            "k16": ["Unknown property"],
            "k17": ["Unknown property"],
            "k18": ["Unknown property"],
            "k19": ["Unknown property"],
            "(more)": ["5 more problems not listed"],
        },
        {
            "k0": [{"code": "extra_forbidden", "params": {}}],
            "k1": [{"code": "extra_forbidden", "params": {}}],
            "k2": [{"code": "extra_forbidden", "params": {}}],
            "k3": [{"code": "extra_forbidden", "params": {}}],
            "k4": [{"code": "extra_forbidden", "params": {}}],
            "k5": [{"code": "extra_forbidden", "params": {}}],
            "k6": [{"code": "extra_forbidden", "params": {}}],
            "k7": [{"code": "extra_forbidden", "params": {}}],
            "k8": [{"code": "extra_forbidden", "params": {}}],
            "k9": [{"code": "extra_forbidden", "params": {}}],
            "k10": [{"code": "extra_forbidden", "params": {}}],
            "k11": [{"code": "extra_forbidden", "params": {}}],
            "k12": [{"code": "extra_forbidden", "params": {}}],
            "k13": [{"code": "extra_forbidden", "params": {}}],
            "k14": [{"code": "extra_forbidden", "params": {}}],
            "k15": [{"code": "extra_forbidden", "params": {}}],
            "k16": [{"code": "extra_forbidden", "params": {}}],
            "k17": [{"code": "extra_forbidden", "params": {}}],
            "k18": [{"code": "extra_forbidden", "params": {}}],
            "k19": [{"code": "extra_forbidden", "params": {}}],
            "(more)": [{"code": "more_errors", "params": {"count": 5}}],
        },
    ),
    50: (
        "+212612345640",
        {
            "customAttributes.k0": [
                "Unknown custom attribute 'k0'; create it first (POST /api/custom-attributes)"
            ],
            "customAttributes.k1": [
                "Unknown custom attribute 'k1'; create it first (POST /api/custom-attributes)"
            ],
            "customAttributes.k2": [
                "Unknown custom attribute 'k2'; create it first (POST /api/custom-attributes)"
            ],
            "customAttributes.k3": [
                "Unknown custom attribute 'k3'; create it first (POST /api/custom-attributes)"
            ],
            "customAttributes.k4": [
                "Unknown custom attribute 'k4'; create it first (POST /api/custom-attributes)"
            ],
            "customAttributes.k5": [
                "Unknown custom attribute 'k5'; create it first (POST /api/custom-attributes)"
            ],
            "customAttributes.k6": [
                "Unknown custom attribute 'k6'; create it first (POST /api/custom-attributes)"
            ],
            "customAttributes.k7": [
                "Unknown custom attribute 'k7'; create it first (POST /api/custom-attributes)"
            ],
            "customAttributes.k8": [
                "Unknown custom attribute 'k8'; create it first (POST /api/custom-attributes)"
            ],
            "customAttributes.k9": [
                "Unknown custom attribute 'k9'; create it first (POST /api/custom-attributes)"
            ],
            "customAttributes.k10": [
                "Unknown custom attribute 'k10'; create it first (POST /api/custom-attributes)"
            ],
            "customAttributes.k11": [
                "Unknown custom attribute 'k11'; create it first (POST /api/custom-attributes)"
            ],
            "customAttributes.k12": [
                "Unknown custom attribute 'k12'; create it first (POST /api/custom-attributes)"
            ],
            "customAttributes.k13": [
                "Unknown custom attribute 'k13'; create it first (POST /api/custom-attributes)"
            ],
            "customAttributes.k14": [
                "Unknown custom attribute 'k14'; create it first (POST /api/custom-attributes)"
            ],
            "customAttributes.k15": [
                "Unknown custom attribute 'k15'; create it first (POST /api/custom-attributes)"
            ],
            "customAttributes.k16": [
                "Unknown custom attribute 'k16'; create it first (POST /api/custom-attributes)"
            ],
            "customAttributes.k17": [
                "Unknown custom attribute 'k17'; create it first (POST /api/custom-attributes)"
            ],
            "customAttributes.k18": [
                "Unknown custom attribute 'k18'; create it first (POST /api/custom-attributes)"
            ],
            "customAttributes.k19": [
                "Unknown custom attribute 'k19'; create it first (POST /api/custom-attributes)"
            ],
            "(more)": ["10 more problems not listed"],
        },
        {
            "customAttributes.k0": [{"code": "unknown_attribute", "params": {"attribute": "k0"}}],
            "customAttributes.k1": [{"code": "unknown_attribute", "params": {"attribute": "k1"}}],
            "customAttributes.k2": [{"code": "unknown_attribute", "params": {"attribute": "k2"}}],
            "customAttributes.k3": [{"code": "unknown_attribute", "params": {"attribute": "k3"}}],
            "customAttributes.k4": [{"code": "unknown_attribute", "params": {"attribute": "k4"}}],
            "customAttributes.k5": [{"code": "unknown_attribute", "params": {"attribute": "k5"}}],
            "customAttributes.k6": [{"code": "unknown_attribute", "params": {"attribute": "k6"}}],
            "customAttributes.k7": [{"code": "unknown_attribute", "params": {"attribute": "k7"}}],
            "customAttributes.k8": [{"code": "unknown_attribute", "params": {"attribute": "k8"}}],
            "customAttributes.k9": [{"code": "unknown_attribute", "params": {"attribute": "k9"}}],
            "customAttributes.k10": [{"code": "unknown_attribute", "params": {"attribute": "k10"}}],
            "customAttributes.k11": [{"code": "unknown_attribute", "params": {"attribute": "k11"}}],
            "customAttributes.k12": [{"code": "unknown_attribute", "params": {"attribute": "k12"}}],
            "customAttributes.k13": [{"code": "unknown_attribute", "params": {"attribute": "k13"}}],
            "customAttributes.k14": [{"code": "unknown_attribute", "params": {"attribute": "k14"}}],
            "customAttributes.k15": [{"code": "unknown_attribute", "params": {"attribute": "k15"}}],
            "customAttributes.k16": [{"code": "unknown_attribute", "params": {"attribute": "k16"}}],
            "customAttributes.k17": [{"code": "unknown_attribute", "params": {"attribute": "k17"}}],
            "customAttributes.k18": [{"code": "unknown_attribute", "params": {"attribute": "k18"}}],
            "customAttributes.k19": [{"code": "unknown_attribute", "params": {"attribute": "k19"}}],
            "(more)": [{"code": "more_errors", "params": {"count": 10}}],
        },
    ),
    51: (
        "+212612345641",
        {"first_name": ["Unknown property"]},
        {"first_name": [{"code": "extra_forbidden", "params": {}}]},
    ),
    53: (
        "+212612345643",
        {"city": ["String should have at most 100 characters"]},
        {"city": [{"code": "string_too_long", "params": {"max_length": 100}}]},
    ),
    54: (None, {"": ["Each row must be a JSON object"]}, {"": [{"code": "type", "params": {}}]}),
    55: (None, {"": ["Each row must be a JSON object"]}, {"": [{"code": "type", "params": {}}]}),
    56: (None, {"": ["Each row must be a JSON object"]}, {"": [{"code": "type", "params": {}}]}),
    57: (None, {"": ["Each row must be a JSON object"]}, {"": [{"code": "type", "params": {}}]}),
}

# phone → the fields stored (nulls left out)
STORED: dict[str, dict[str, Any]] = {
    "+212612345601": {"firstName": "again", "customAttributes": {}},
    "+212612345602": {"customAttributes": {}},
    "+212612345603": {"firstName": "by name", "preferredChannel": "sms", "customAttributes": {}},
    "+212612345604": {
        "fullName": "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "primaryEmail": "user@example.com",
        "address": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "state": "ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss",
        "zip": "zzzzzzzzzzzzzzzzzzzz",
        "occupation": "oooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooooo",
        "preferredChannel": "pppppppppppppppppppppppppppppppppppppppppppppppppp",
        "gender": "female",
        "channels": [
            "cccccccccccccccccccccccccccccccccccccccccccccccccc",
            "cccccccccccccccccccccccccccccccccccccccccccccccccc",
            "cccccccccccccccccccccccccccccccccccccccccccccccccc",
            "cccccccccccccccccccccccccccccccccccccccccccccccccc",
            "cccccccccccccccccccccccccccccccccccccccccccccccccc",
            "cccccccccccccccccccccccccccccccccccccccccccccccccc",
            "cccccccccccccccccccccccccccccccccccccccccccccccccc",
            "cccccccccccccccccccccccccccccccccccccccccccccccccc",
            "cccccccccccccccccccccccccccccccccccccccccccccccccc",
            "cccccccccccccccccccccccccccccccccccccccccccccccccc",
            "cccccccccccccccccccccccccccccccccccccccccccccccccc",
            "cccccccccccccccccccccccccccccccccccccccccccccccccc",
            "cccccccccccccccccccccccccccccccccccccccccccccccccc",
            "cccccccccccccccccccccccccccccccccccccccccccccccccc",
            "cccccccccccccccccccccccccccccccccccccccccccccccccc",
            "cccccccccccccccccccccccccccccccccccccccccccccccccc",
            "cccccccccccccccccccccccccccccccccccccccccccccccccc",
            "cccccccccccccccccccccccccccccccccccccccccccccccccc",
            "cccccccccccccccccccccccccccccccccccccccccccccccccc",
            "cccccccccccccccccccccccccccccccccccccccccccccccccc",
        ],
        "customAttributes": {},
    },
    "+212612345605": {"customAttributes": {}},
    "+212612345606": {
        "firstName": "Zoé",
        "lastName": "x\u180e",
        "city": "\x1cdar\x1f",
        "channels": [],
        "customAttributes": {},
    },
    "+212612345607": {
        "firstName": "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
        "customAttributes": {},
    },
    "+212612345608": {"firstName": "", "lastName": "", "customAttributes": {}},
    "+212612345637": {"customAttributes": {"score": 1}},
    "+212612345642": {
        "city": "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
        "customAttributes": {},
    },
}

NUL_ROW = {
    "primaryPhone": "+212612345699",
    "firstName": "N\x00L",
    "channels": ["a\x00"],
    "customAttributes": {"nope": "x\x00"},
}
NUL_FAILED = {
    59: (
        "+212612345699",
        {
            "firstName": ["Text must not contain NUL (\\u0000) characters"],
            "channels": ["Text must not contain NUL (\\u0000) characters"],
            "customAttributes": ["Text must not contain NUL (\\u0000) characters"],
            "customAttributes.nope": [
                "Unknown custom attribute 'nope'; create it first (POST /api/custom-attributes)"
            ],
        },
        {
            "firstName": [{"code": "value_error", "params": {}}],
            "channels": [{"code": "value_error", "params": {}}],
            "customAttributes": [{"code": "value_error", "params": {}}],
            "customAttributes.nope": [
                {"code": "unknown_attribute", "params": {"attribute": "nope"}}
            ],
        },
    )
}


def expected(failed: dict[int, Any]) -> dict[str, Any]:
    return {
        "created": 10,
        "updated": 0,
        "failed": [
            {"index": i, "primaryPhone": phone, "fieldErrors": errors, "fieldDetails": details}
            for i, (phone, errors, details) in failed.items()
        ],
        "duplicates": [{"index": 0, "primaryPhone": "+212612345601", "supersededBy": 58}],
    }


async def make_attributes(api, tenant) -> None:
    for name, type_ in ATTRIBUTES:
        r = await api.client.post(
            "/api/custom-attributes",
            json={"displayName": name, "type": type_},
            headers=tenant.headers(),
        )
        assert r.status_code == 201, r.text


async def stored(api, tenant) -> dict[str, dict[str, Any]]:
    r = await api.client.get("/api/contact", params={"limit": 100}, headers=tenant.headers())
    hidden = ("primaryPhone", "id", "organizationId", "createdAt", "updatedAt")
    return {
        c["primaryPhone"]: {k: v for k, v in c.items() if v is not None and k not in hidden}
        for c in r.json()["data"]
    }


async def test_every_bad_row_is_told_exactly_what_is_wrong(api):
    await make_attributes(api, api.acme)
    r = await api.client.post(
        "/api/contact/upsert", json={"data": ROWS}, headers=api.acme.headers()
    )
    assert r.status_code == 200, r.text
    assert r.json() == expected(FAILED)
    assert await stored(api, api.acme) == STORED


async def test_a_body_with_a_nul_answers_the_same_for_the_other_rows(api):
    await make_attributes(api, api.globex)
    r = await api.client.post(
        "/api/contact/upsert", json={"data": [*ROWS, NUL_ROW]}, headers=api.globex.headers()
    )
    assert r.status_code == 200, r.text
    assert r.json() == expected({**FAILED, **NUL_FAILED})
    assert await stored(api, api.globex) == STORED


UNICODE_ERROR = "Input should be a valid string, unable to parse raw data as a unicode string"
# a lone surrogate escape (read by the standard library's parser) in a field: (row, its path)
SURROGATE_ROWS = [
    ('{"primaryPhone": "+212612345601", "firstName": "\\ud800"}', "firstName"),
    ('{"primaryPhone": "+212612345601", "channels": ["sms", "a\\ud800"]}', "channels[1]"),
    ('{"primaryPhone": "+212612345601", "gender": "male\\ud800"}', "gender"),
    ('{"primaryPhone": "+212612345601", "city": "\\udfff  "}', "city"),
]


@pytest.mark.parametrize(("row", "path"), SURROGATE_ROWS)
async def test_a_lone_surrogate_fails_its_row(api, row: str, path: str):
    good = '{"primaryPhone": "+212612345602", "firstName": "\\ud83d\\ude00"}'  # a pair: fine
    r = await api.client.post(
        "/api/contact/upsert",
        content=f'{{"data": [{row}, {good}]}}',
        headers={**api.acme.headers(), "content-type": "application/json"},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "created": 1,
        "updated": 0,
        "failed": [
            {
                "index": 0,
                "primaryPhone": "+212612345601",
                "fieldErrors": {path: [UNICODE_ERROR]},
                "fieldDetails": {path: [{"code": "string_unicode", "params": {}}]},
            }
        ],
        "duplicates": [],
    }
    assert (await stored(api, api.acme))["+212612345602"] == {
        "firstName": "\U0001f600",
        "customAttributes": {},
    }


async def upsert_raw(api, tenant, rows: str):
    return await api.client.post(
        "/api/contact/upsert",
        content=f'{{"data": [{rows}]}}',
        headers={**tenant.headers(), "content-type": "application/json"},
    )


async def test_a_lone_surrogate_in_the_phone_is_echoed_back_not_a_500(api):
    """The failed row echoes its phone: UTF-8 cannot hold it, so the answer escapes it."""
    r = await upsert_raw(api, api.acme, '{"primaryPhone": "+21261234\\udc005601"}')
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 0
    (failed,) = r.json()["failed"]
    assert failed["primaryPhone"] == "+21261234\udc005601"
    assert failed["fieldDetails"] == {"primaryPhone": [{"code": "string_unicode", "params": {}}]}
    assert b"\\udc00" in r.content


async def test_a_lone_surrogate_in_a_custom_attribute_fails_its_row_not_the_request(api):
    await make_attributes(api, api.globex)
    r = await upsert_raw(
        api,
        api.globex,
        '{"primaryPhone": "+212612345601", "customAttributes": {"note": "a\\ud800b"}},'
        '{"primaryPhone": "+212612345602", "customAttributes": {"n\\udfffte": "x"}},'
        '{"primaryPhone": "+212612345603", "customAttributes": {"note": "fine \\ud83d\\ude00"}}',
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["created"] == 1
    assert [f["index"] for f in body["failed"]] == [0, 1]
    assert body["failed"][0]["fieldDetails"] == {
        "customAttributes.note": [
            {"code": "attribute_type", "params": {"attribute": "note", "expectedType": "text"}}
        ]
    }
    assert "lone surrogate" in body["failed"][0]["fieldErrors"]["customAttributes.note"][0]
    # the key is not text: the model says so (its path as pydantic renders it) and no
    # attribute has that name
    codes = {d["code"] for ds in body["failed"][1]["fieldDetails"].values() for d in ds}
    assert codes == {"string_unicode", "unknown_attribute"}
    assert (await stored(api, api.globex))["+212612345603"]["customAttributes"] == {
        "note": "fine \U0001f600"
    }
