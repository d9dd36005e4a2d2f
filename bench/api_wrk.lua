-- wrk script of bench_api.py: POSTs a new ticket per request (requesters drawn from a pool of
-- BENCH_REQUESTERS known customers, so most are known as with a real integrator), each with an
-- Idempotency-Key of its own when BENCH_IDEMPOTENCY is 1; statuses counted, a JSON summary printed.
local path = os.getenv("BENCH_PATH")
local token = os.getenv("BENCH_TOKEN") or ""
local idempotency = os.getenv("BENCH_IDEMPOTENCY") == "1"
local requesters = tonumber(os.getenv("BENCH_REQUESTERS") or "1000")
local run = os.getenv("BENCH_RUN") or "run"

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  status_2xx, status_5xx, status_4xx, status_other = 0, 0, 0, 0
end

function request()
  counter = counter + 1
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  headers["Content-Type"] = "application/json"
  if token ~= "" then
    headers["Authorization"] = "Bearer " .. token
  end
  local key = run .. "-" .. thread_id .. "-" .. counter
  if idempotency then
    headers["Idempotency-Key"] = key
  end
  local who = (counter * 7919 + thread_id) % requesters
  local body = string.format(
    '{"requester": {"kind": "email", "value": "cliente%d@bench.example", "name": "Cliente %d"}, ' ..
    '"subject": "Pedido %s", "body": "Meu pedido %s ainda nao chegou."}', who, who, key, key)
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  if status < 300 then
    status_2xx = status_2xx + 1
  elseif status >= 500 then
    status_5xx = status_5xx + 1
  elseif status >= 400 then
    status_4xx = status_4xx + 1
  else
    status_other = status_other + 1
  end
end

function done(summary, latency, requests)
  local s2, s5, s4, s3 = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    s2 = s2 + thread:get("status_2xx")
    s5 = s5 + thread:get("status_5xx")
    s4 = s4 + thread:get("status_4xx")
    s3 = s3 + thread:get("status_other")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"status_2xx": %d, "status_5xx": %d, "status_4xx": %d, "status_3xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), s2, s5, s4, s3, e.connect + e.read + e.write + e.timeout))
end
