"""JSON Schemas of request bodies and common responses (used for checking and for OpenAPI)."""

ERROR = {"type": "object", "required": ["error", "message"],
         "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                        "message_zh": {"type": "string", "description": "the message in Chinese alone"},
                        "message_en": {"type": "string", "description": "the message in English alone"}}}

LOGIN = {"type": "object", "required": ["username", "password"], "additionalProperties": False,
         "properties": {"username": {"type": "string", "minLength": 1, "maxLength": 64},
                        "password": {"type": "string", "minLength": 1, "maxLength": 256}}}

ISSUE = {"type": "object", "required": ["service"],
         "properties": {
             "service": {"type": "string", "minLength": 1, "maxLength": 32,
                         "description": "service code (e.g. social) or its prefix (e.g. A)"},
             "source": {"type": "string", "enum": ["kiosk", "staff", "appointment", "phone"]},
             "id_number": {"type": "string", "maxLength": 32,
                           "description": "resident ID (GB 11643); stored only as a keyed hash"},
             "priority": {"type": "string", "maxLength": 32},
             "appointment": {"type": "string", "maxLength": 64,
                             "description": "appointment code (see the appointments check-in)"},
             "note": {"type": "string", "maxLength": 500}}}

FINISH = {"type": "object", "required": ["outcome"],
          "properties": {"outcome": {"type": "string",
                                     "enum": ["immediate", "promised", "escalated", "returned", "proxy"]},
                         "due_date": {"type": "string", "format": "date"},
                         "promise_days": {"type": "integer", "minimum": 1, "maximum": 365},
                         "note": {"type": "string", "maxLength": 2000}}}

SELECT_CALL = {"type": "object", "required": ["ticket_id"], "additionalProperties": False,
               "properties": {"ticket_id": {"type": "integer", "minimum": 1,
                                            "description": "a ticket waiting for this window"}}}

TRANSFER = {"type": "object", "required": ["service"],
            "properties": {"service": {"type": "string", "minLength": 1, "maxLength": 32}}}

PAUSE = {"type": "object", "required": ["reason"],
         "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 200}}}

RATING = {"type": "object", "required": ["level"],
          "properties": {"level": {"type": "integer", "minimum": 1, "maximum": 5},
                         "reasons": {"type": "array", "items": {
                             "type": "string",
                             "enum": ["attitude", "efficiency", "process", "environment", "other"]}},
                         "comment": {"type": "string", "maxLength": 500},
                         "phone": {"type": "string", "maxLength": 20,
                                   "description": "with a bad rating: the resident's mobile for "
                                                  "the 回访 (needs consent true)"},
                         "consent": {"type": "boolean",
                                     "description": "the resident agreed on screen to be called back"},
                         "ticket_token": {"type": "string", "maxLength": 64,
                                          "description": "the ticket's own token (its QR / track "
                                                         "link): how a kiosk or a phone rates"}}}

RATING_CONTACT = {"type": "object", "required": ["phone", "consent"], "additionalProperties": False,
                  "properties": {"phone": {"type": "string", "maxLength": 20,
                                           "description": "the resident's mobile for the 回访"},
                                 "consent": {"type": "boolean",
                                             "description": "ticked on screen: may be called back"}}}

TICKET = {"type": "object", "required": ["id", "number", "service", "status"],
          "properties": {"id": {"type": "integer"}, "number": {"type": "string"},
                         "service": {"type": "string"}, "status": {"type": "string"},
                         "ahead": {"type": "integer"}, "estimated_wait_s": {"type": "integer"},
                         "token": {"type": "string"}, "issued_at": {"type": "string"},
                         "window": {"type": ["integer", "null"]}}}

EMPTY = {"type": "object"}
