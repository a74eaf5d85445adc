-- wrk script of the invoicing benchmark: POST /api/v1/invoices with 5 lines each.
--
--   wrk ... -s benchmarks/invoicing_post.lua <url> -- <max client id> <item id>,<item id>,...
--
-- Each request: a random client in 1..max, five random items (quantity 1-3). BENCH_TOKEN in
-- the environment becomes "Authorization: Bearer <token>". done() prints "BENCH_RESULT {json}"
-- (latencies in ms, the same shape as wrk.lua's) and the count of non-201 answers.

local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"

local threads = {}
local max_client, items

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

function init(args)
  math.randomseed(os.time() * 1000 + (thread_no or 0) * 7919)
  for _ = 1, 10 do math.random() end
  max_client = tonumber(args[1])
  items = {}
  for id in string.gmatch(args[2], "%d+") do items[#items + 1] = id end
  failed = 0
end

function request()
  local lines = {}
  for i = 1, 5 do
    lines[i] = string.format('{"item_id": %s, "quantity": %d}', items[math.random(1, #items)], math.random(1, 3))
  end
  local body = string.format('{"client_id": %d, "lines": [%s]}', math.random(1, max_client),
                             table.concat(lines, ", "))
  return wrk.format("POST", "/api/v1/invoices", nil, body)
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
