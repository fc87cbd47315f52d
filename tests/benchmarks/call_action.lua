-- wrk script: realistic 8x8 Call Actions with the benchmark's fixed mix.
--   80% a participant of an open session calls its virtual number
--   15% a known virtual number, a caller in no session on it
--    5% a number that is not ours
-- BENCH_N sessions and BENCH_NUMBERS pool numbers, laid out as tests/benchmarks/load.py loads them.
-- Every request has its own eventId and sessionId, as real calls do.
local N = tonumber(os.getenv("BENCH_N"))
local NUMBERS = tonumber(os.getenv("BENCH_NUMBERS"))
local AUTH = os.getenv("BENCH_AUTH")
-- BENCH_POOLS=2: numbers of odd index are the second pool's, answered with its own credential
-- and naming its sub-account, as 8x8 sends that sub-account's calls.
local AUTH_B = os.getenv("BENCH_AUTH_B") or ""
local SUBACCOUNT_B = os.getenv("BENCH_SUBACCOUNT_B") or ""
local counter = 0
local threads = {}

-- thread:set() writes a global of the thread's own interpreter: thread_id must stay a global
-- (a `local thread_id` here would shadow it, and every thread would send the same ids, half
-- of the calls then being redeliveries).
function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + thread_id * 7919)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = AUTH
end

local function pool_number(index)
  return string.format("+6531%06d", index)
end

function request()
  counter = counter + 1
  local roll = math.random(100)
  local caller, dialled, index
  if roll <= 80 then
    local i = math.random(N) - 1
    caller = string.format("+658%07d", i)
    index = i % NUMBERS
    dialled = pool_number(index)
  elseif roll <= 95 then
    caller = string.format("+656%07d", math.random(9999999))
    index = math.random(NUMBERS) - 1
    dialled = pool_number(index)
  else
    caller = string.format("+658%07d", math.random(N) - 1)
    dialled = string.format("+6539%06d", math.random(999999))
  end
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = AUTH}
  local subaccount = "acme_masking"
  if AUTH_B ~= "" and index ~= nil and index % 2 == 1 then
    headers["Authorization"] = AUTH_B
    subaccount = SUBACCOUNT_B
  end
  local id = string.format("%d-%d-%d", thread_id, counter, math.random(1000000000))
  local body = string.format(
    '{"namespace":"VOICE","eventType":"CALL_ACTION","description":"Action request of a call",'
    .. '"payload":{"eventId":"e-%s","callId":"c-%s","sessionId":"s-%s",'
    .. '"subAccountId":"%s","callStatus":"CALL_RECEIVED","callDirection":"INBOUND",'
    .. '"callType":"PSTN","source":"%s","destination":"%s","sourceFormat":"MSISDN",'
    .. '"destinationFormat":"MSISDN","sourceCountryCode":"SG","destinationCountryCode":"SG",'
    .. '"timestamp":"2026-11-24T10:00:00.000Z"}}', id, id, id, subaccount, caller, dialled)
  return wrk.format(nil, nil, headers, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"non_2xx":%d,'
    .. '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errors.status, errors.connect, errors.read, errors.write, errors.timeout))
end
