# Staff read times in the operations time zone (settings.TIME_ZONE), always with minutes and the
# zone's name: Django's English default ("Nov. 24, 2026, 5 a.m.") drops both.
DATETIME_FORMAT = "j M Y, H:i T"
# Lists show times as pages do (issue 28): one format, masking.timezones.staff_time.
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
TIME_FORMAT = "H:i"
DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "Y-m-d"
