-- wrk script of the payments benchmark: POST /api/v1/payments against an invoice.
--
--   wrk ... -s benchmarks/payments_post.lua <url> -- <file with one invoice id per line> <amount>
--
-- Each request: a random invoice of the file, a cash payment of <amount> cents, an
-- Idempotency-Key of its own (as a till would send). BENCH_TOKEN in the environment becomes
-- "Authorization: Bearer <token>". done() prints "BENCH_RESULT {json}" (latencies in ms, the
-- shape of wrk.lua's) with the count of answers that were not 201.

local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"

local threads = {}
local invoices, amount, counter

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + (thread_no or 0) * 7919)
  for _ = 1, 10 do math.random() end
  invoices = {}
  for line in io.lines(args[1]) do
    if line ~= "" then invoices[#invoices + 1] = line end
  end
  if #invoices == 0 then error("no invoice ids in " .. args[1]) end
  amount = tonumber(args[2])
  counter = 0
  failed = 0
  prefix = string.format("bench-%d-%d-%d", os.time(), thread_no or 0, math.random(1, 1000000000))
end

function request()
  counter = counter + 1
  local body = string.format('{"invoice_id": %s, "amount": %d, "method_id": 1}',
                             invoices[math.random(1, #invoices)], amount)
  -- wrk.format uses the headers given instead of wrk.headers: copy them, then add the key
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Idempotency-Key"] = prefix .. "-" .. counter
  return wrk.format("POST", "/api/v1/payments", headers, body)
end

function response(status, headers, body)
  if status ~= 201 then failed = failed + 1 end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local not_created = 0
  for _, thread in ipairs(threads) do not_created = not_created + (thread:get("failed") or 0) end
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"seconds":%.3f,"rps":%.2f,"bytes":%d,' ..
    '"mean_ms":%.3f,"p50_ms":%.3f,"p90_ms":%.3f,"p95_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
    '"not_created":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    not_created, e.connect, e.read, e.write, e.status, e.timeout))
end
