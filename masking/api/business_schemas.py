"""The request we send the business about a call in no session, and the answers it may give
(README, "Calls outside a session"), as OpenAPI components: the API's schema describes them
beside the routes, so a backend generates its types from one document.

Plain dicts (the settings import this module). Fixed values are written as patterns, not
one-value enums: drf-spectacular's enum hook would rewrite these dicts in place into references
to enum components it creates only on its first pass. `tests/callflows/
test_out_of_session_schema.py` checks that what `callflows.ask_business` sends, and what
`callflows.out_of_session.read_answer` accepts and refuses, match these schemas."""

E164 = {"type": "string", "pattern": r"^\+[1-9][0-9]{6,14}$", "example": "+6591230002"}
TIME = {"type": "string", "format": "date-time", "example": "2026-12-04T10:52:00.123456Z"}

OUT_OF_SESSION_REQUEST = {
    "type": "object",
    "description": "POSTed to the business's endpoint (the number's pool's, else "
    "MASKING_OUT_OF_SESSION_URL), signed like the callbacks (Standard Webhooks headers), for a "
    "call from a phone in no session on a virtual number, after the PIN step if any (a caller "
    "who failed the PIN, or whose PIN entry is paused, included). Answer within "
    "MASKING_OUT_OF_SESSION_DEADLINE_MS with an OutOfSessionAnswer.",
    "required": ["type", "timestamp", "data"],
    "additionalProperties": False,
    "properties": {
        "type": {"type": "string", "pattern": "^call\\.out_of_session$"},
        "timestamp": TIME,
        "data": {
            "type": "object",
            "required": ["call", "virtual_number", "recent_sessions"],
            "additionalProperties": False,
            "properties": {
                "call": {
                    "type": "object",
                    "required": ["provider_session_id", "caller", "caller_withheld"],
                    "additionalProperties": False,
                    "properties": {
                        "provider_session_id": {"type": "string"},
                        "caller": {
                            "type": "string",
                            "description": "Whole only when MASKING_OUT_OF_SESSION_USER may "
                            "see full numbers; else masked (+65 ••••••02); empty when withheld.",
                        },
                        "caller_withheld": {"type": "boolean"},
                    },
                },
                "virtual_number": E164,
                "recent_sessions": {
                    "type": "array",
                    "description": "The caller's sessions on this number in the last 30 days, "
                    "newest first, at most 5: by id and reference, never by number.",
                    "items": {
                        "type": "object",
                        "required": ["id", "reference", "status", "started_at", "closed_at"],
                        "additionalProperties": False,
                        "properties": {
                            "id": {"type": "integer"},
                            "reference": {"type": "string"},
                            "status": {"type": "string", "pattern": "^(open|closed)$"},
                            "started_at": TIME,
                            "closed_at": {**TIME, "nullable": True},
                            "caller_role": {"type": "string", "pattern": "^(a|b)$"},
                        },
                    },
                },
            },
        },
    },
}

OUT_OF_SESSION_ANSWER = {
    "description": "The business's answer. Anything else, a status other than 2xx, or no answer "
    "within the deadline: the caller gets the no-session flow (or the fallback line).",
    "oneOf": [
        {
            "type": "object",
            "title": "open_session",
            "description": "Open a session between the caller (participant A) and `participant` "
            "(B) on the dialled number, and connect now.",
            "required": ["action", "participant"],
            "properties": {
                "action": {"type": "string", "pattern": "^open_session$"},
                "participant": E164,
                "reference": {"type": "string", "maxLength": 100, "default": ""},
                "expires_in_seconds": {
                    "type": "integer",
                    "minimum": 60,
                    "maximum": 7 * 24 * 3600,
                    "default": 3600,
                },
            },
        },
        {
            "type": "object",
            "title": "connect",
            "description": "Bridge this call once to `number`, without a session.",
            "required": ["action", "number"],
            "properties": {"action": {"type": "string", "pattern": "^connect$"}, "number": E164},
        },
        {
            "type": "object",
            "title": "prompt",
            "description": "Say `text` to the caller, then hang up.",
            "required": ["action", "text"],
            "properties": {
                "action": {"type": "string", "pattern": "^prompt$"},
                "text": {"type": "string", "minLength": 1, "maxLength": 3000},
            },
        },
        {
            "type": "object",
            "title": "refuse",
            "description": "The no-session flow, as without an endpoint.",
            "required": ["action"],
            "properties": {"action": {"type": "string", "pattern": "^refuse$"}},
        },
    ],
}

COMPONENTS = {
    "schemas": {
        "OutOfSessionRequest": OUT_OF_SESSION_REQUEST,
        "OutOfSessionAnswer": OUT_OF_SESSION_ANSWER,
    }
}
