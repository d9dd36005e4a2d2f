-- wrk script of bench_http.py: one endpoint per run, statuses counted, a JSON summary printed.
-- BENCH_PATH      the path to request
-- BENCH_BODIES    optional file of signed WhatsApp webhooks, one "<signature>\t<json body>" a line:
--                 each request POSTs the next one (every wrk thread takes its own share of the
--                 lines, so no delivery is sent twice until a thread runs out and starts over)
-- BENCH_THREADS   wrk's -t, to share the lines out
local path = os.getenv("BENCH_PATH")
local bodies_file = os.getenv("BENCH_BODIES") or ""
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  signatures, bodies, position = {}, {}, 0
  status_2xx, status_5xx, status_4xx, status_other, reused = 0, 0, 0, 0, 0
  if bodies_file == "" then
    return
  end
  local line_number = 0
  for line in io.lines(bodies_file) do
    if line_number % thread_count == thread_id then
      local tab = line:find("\t", 1, true)
      table.insert(signatures, line:sub(1, tab - 1))
      table.insert(bodies, line:sub(tab + 1))
    end
    line_number = line_number + 1
  end
end

function request()
  if #bodies == 0 then
    return wrk.format("GET", path)
  end
  position = position + 1
  if position > #bodies then
    position, reused = 1, reused + 1
  end
  local headers = {}
  for name, value in pairs(wrk.headers) do -- the -H headers (X-Forwarded-Proto)
    headers[name] = value
  end
  headers["Content-Type"] = "application/json"
  headers["X-Hub-Signature-256"] = signatures[position]
  return wrk.format("POST", path, headers, bodies[position])
end

function response(status, headers, body)
  if status < 300 then
    status_2xx = status_2xx + 1
  elseif status >= 500 then
    status_5xx = status_5xx + 1
  elseif status >= 400 then
    status_4xx = status_4xx + 1
  elseif status >= 300 then
    status_other = status_other + 1
  end
end

function done(summary, latency, requests)
  local s2, s5, s4, s3, wrapped = 0, 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    s2 = s2 + thread:get("status_2xx")
    s5 = s5 + thread:get("status_5xx")
    s4 = s4 + thread:get("status_4xx")
    s3 = s3 + thread:get("status_other")
    wrapped = wrapped + thread:get("reused")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "status_2xx": %d, "status_5xx": %d, "status_4xx": %d, "status_3xx": %d, ' ..
    '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
    '"bodies_reused": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, s2, s5, s4, s3, e.connect, e.read, e.write, e.timeout, wrapped))
end
