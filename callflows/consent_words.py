"""The built-in recording-consent request, in every language of the voice catalogue.

Spoken as the keypad consent prompt (a `say&capture` / `sayAndCapture` for one digit) when staff
have written no *consent request* prompt: it must say what pressing 1 does, or nobody can opt in
(issue 27, finding 5). Each text says the call can be recorded, that 1 agrees, and that the call
goes on unrecorded otherwise, which is what `callflows.decision.decide_consent_answer` does.
"""

CONSENT_REQUEST_TEXTS = {
    "en": "This call can be recorded. Press 1 if you agree to the recording. Otherwise the call "
    "continues without recording.",
    "zh": "本通话可能会被录音。如果您同意录音，请按1。否则，通话将在不录音的情况下继续。",
    "da": "Dette opkald kan blive optaget. Tryk 1, hvis du accepterer optagelsen. Ellers "
    "fortsætter opkaldet uden optagelse.",
    "nl": "Dit gesprek kan worden opgenomen. Druk op 1 als u akkoord gaat met de opname. Anders "
    "gaat het gesprek verder zonder opname.",
    "fr": "Cet appel peut être enregistré. Appuyez sur 1 si vous acceptez l'enregistrement. "
    "Sinon, l'appel continuera sans enregistrement.",
    "de": "Dieser Anruf kann aufgezeichnet werden. Drücken Sie die 1, wenn Sie der Aufzeichnung "
    "zustimmen. Andernfalls wird der Anruf ohne Aufzeichnung fortgesetzt.",
    "hi": "इस कॉल को रिकॉर्ड किया जा सकता है। यदि आप रिकॉर्डिंग के लिए सहमत हैं, तो 1 दबाएँ। "
    "अन्यथा कॉल बिना रिकॉर्डिंग के जारी रहेगी।",
    "is": "Þetta símtal gæti verið tekið upp. Ýttu á 1 ef þú samþykkir upptökuna. Annars heldur "
    "símtalið áfram án upptöku.",
    "it": "Questa chiamata può essere registrata. Premi 1 se accetti la registrazione. "
    "Altrimenti la chiamata proseguirà senza registrazione.",
    "ja": "この通話は録音される場合があります。録音に同意される場合は1を押してください。"
    "それ以外の場合は、録音せずに通話を続けます。",
    "nb": "Denne samtalen kan bli tatt opp. Trykk 1 hvis du godtar opptaket. Ellers fortsetter "
    "samtalen uten opptak.",
    "pl": "Ta rozmowa może być nagrywana. Naciśnij 1, jeśli zgadzasz się na nagrywanie. W "
    "przeciwnym razie rozmowa będzie kontynuowana bez nagrywania.",
    "pt": "Esta chamada pode ser gravada. Prima 1 se aceita a gravação. Caso contrário, a "
    "chamada continua sem gravação.",
    "ro": "Acest apel poate fi înregistrat. Apăsați 1 dacă sunteți de acord cu înregistrarea. "
    "Altfel, apelul continuă fără înregistrare.",
    "ru": "Этот звонок может быть записан. Нажмите 1, если вы согласны на запись. Иначе звонок "
    "продолжится без записи.",
    "es": "Esta llamada puede ser grabada. Pulse 1 si acepta la grabación. De lo contrario, la "
    "llamada continuará sin grabarse.",
    "sv": "Det här samtalet kan spelas in. Tryck 1 om du godkänner inspelningen. Annars "
    "fortsätter samtalet utan inspelning.",
    "th": "การโทรนี้อาจถูกบันทึก กด 1 หากคุณยินยอมให้บันทึก มิฉะนั้นการโทรจะดำเนินต่อไปโดยไม่บันทึก",
    "tr": "Bu görüşme kaydedilebilir. Kayda onay veriyorsanız 1'e basın. Aksi halde görüşme "
    "kayıt olmadan devam eder.",
    "vi": "Cuộc gọi này có thể được ghi âm. Nhấn phím 1 nếu bạn đồng ý ghi âm. Nếu không, cuộc "
    "gọi sẽ tiếp tục mà không ghi âm.",
    "cy": "Gall yr alwad hon gael ei recordio. Pwyswch 1 os ydych yn cytuno i'r recordiad. Fel "
    "arall, bydd yr alwad yn parhau heb ei recordio.",
}
