"""A phone call as 8x8 plays it against the webhook: the first Call Action, then follow-ups."""

from tests.callflows.conftest import VN, call_action

URL = "/callflows/8x8/call-action/"
STRANGER = "+6591239999"
PIN_A, PIN_B = "482193", "903417"


class PhoneCall:
    """One phone call: the first Call Action, then follow-ups on the same sessionId."""

    def __init__(self, provider, caller, session_id="call-1", virtual_number=VN):
        self.provider, self.caller, self.session_id, self.tag = provider, caller, session_id, None
        self.virtual_number = virtual_number
        self.sent = []  # every body, in order, to deliver one again

    def post(self, **payload):
        body = call_action(
            self.caller,
            self.virtual_number,
            sessionId=self.session_id,
            eventId=f"{self.session_id}-{len(self.sent) + 1}",
            **payload,
        )
        self.sent.append(body)
        answer = self.provider.post(URL, body, format="json").json()
        self.tag = answer["clientActionId"]
        return answer

    def redeliver(self, n):
        """8x8 delivering the n-th event of this call again (1: the first Call Action)."""
        return self.provider.post(URL, self.sent[n - 1], format="json").json()

    def start(self):
        return self.post()

    def key(self, digits, shape="A"):
        shapes = {
            "A": {"callStatus": "ACTION_COMPLETED", "eventData": {"dtmf": digits}},
            "B": {"callStatus": "ACTION_COMPLETED", "eventData": digits},
            "C": {"callStatus": "DTMF_RECEIVED", "dtmf": digits},
        }
        return self.post(clientActionId=self.tag, **shapes[shape])


def actions(answer):
    return [step["action"] for step in answer["callflow"]]


def texts(answer):
    return [s["params"]["text"] for s in answer["callflow"] if "text" in s.get("params", {})]
