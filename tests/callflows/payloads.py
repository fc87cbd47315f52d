"""8x8 event bodies as the provider document composes them (sections 5 to 8)."""

import copy

SESSION = "5e9b7c20-8d1e-11ef-8b11-0242ac120002"


def status(event_id="7b02e4f3-0001", session=SESSION, call_status="CALL_CONNECTED", **extra):
    return {
        "namespace": "VOICE",
        "eventType": "CALL_STATUS",
        "description": "Status update of a call",
        "payload": {
            "eventId": event_id,
            "callId": "7a11c0d4-8d1e-11ef-8b11-0242ac120002",
            "sessionId": session,
            "subAccountId": "acme_nm_01",
            "callStatus": call_status,
            "callDirection": "OUTBOUND",
            "callType": "PSTN",
            "source": "+6531500123",
            "destination": "+6598760002",
            "callDuration": 0,
            "sipCode": 200,
            "timestamp": "2026-03-02T09:15:27.940Z",
            **extra,
        },
    }


def leg(direction, seconds, status="COMPLETED", mos=4.4):
    return {
        "callId": f"leg-{direction}",
        "callDirection": direction,
        "callType": "PSTN",
        "initiatedTimestamp": "2026-03-02T09:15:03Z",
        "connectedTimestamp": "2026-03-02T09:15:28Z",
        "disconnectedTimestamp": "2026-03-02T09:17:41Z",
        "source": "+6591230001",
        "destination": "+6531500123",
        "callStatus": status,
        "callDuration": seconds,
        "callQuality": {"mos": mos, "packetLossRate": 0, "jitter": 18},
    }


def summary(session=SESSION, session_status="COMPLETED", a=133, b=133, **extra):
    details = {"callA": leg("INBOUND", a)}
    if b is not None:
        details["callB"] = leg("OUTBOUND", b, mos=4.3)
    return {
        "namespace": "VOICE",
        "eventType": "SESSION_SUMMARY",
        "description": "Summary of a completed call session",
        "payload": {
            "sessionId": session,
            "subAccountId": "acme_nm_01",
            "sessionStatus": session_status,
            "startTime": "2026-03-02T09:15:03Z",
            "endTime": "2026-03-02T09:17:41Z",
            "lastAction": "MAKE_CALL",
            "callCount": len(details),
            "details": details,
            **extra,
        },
    }


def recording(session=SESSION, recording_id="9d2e6b71-8d1e-11ef-8c22-0242ac120002"):
    return {
        "namespace": "VOICE",
        "eventType": "CALL_RECORDING_STATUS",
        "description": "Call recording status updated",
        "payload": {
            "sessionId": session,
            "recordingId": recording_id,
            "durationSeconds": 133,
            "filePath": f"acme-recordings/2026-03-02/{session}/{recording_id}.mp3",
            "status": "UPLOAD_COMPLETED",
        },
    }


def numbers(update_type="UPDATES", *items):
    return {
        "namespace": "VOICE",
        "eventType": "VIRTUAL_NUMBER_UPDATE",
        "description": "Status of account virtual number(s) updated",
        "payload": {
            "subAccountId": "acme_nm_01",
            "totalNumbers": len(items),
            "updateEventType": update_type,
            "virtualNumbers": [copy.deepcopy(i) for i in items],
        },
    }


def number(msisdn, status="Active", reference="sg-pool-a"):
    return {
        "msisdn": msisdn,
        "updatedTimestamp": "2026-03-01T22:40:00.000Z",
        "countryCode": "SG",
        "operationalStatus": status,
        "referenceId": reference,
        "rentalPrice": 4.5,
        "incomingRate": 0.04,
        "billingUnit": 60,
        "billingCurrency": "USD",
        "numberHealthCheckEnabled": True,
        "updateStatus": "UPDATED",
    }
