-- wrk script of the benchmarks (benchmarks/httpload.py runs it).
--
--   wrk ... -s benchmarks/wrk.lua <url> -- ids  <path with {id}> <max id>
--   wrk ... -s benchmarks/wrk.lua <url> -- paths <file with one path?query per line>
--
-- BENCH_TOKEN in the environment becomes "Authorization: Bearer <token>".
-- done() prints one line "BENCH_RESULT {json}" (latencies in ms) for the harness to parse.

local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end
wrk.headers["Accept"] = "application/json"

local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_no", thread_count)
end

local mode, template, max_id, paths

function init(args)
  math.randomseed(os.time() * 1000 + (thread_no or 0) * 7919)
  for _ = 1, 10 do math.random() end
  mode = args[1]
  if mode == "ids" then
    template = args[2]
    max_id = tonumber(args[3])
  elseif mode == "paths" then
    paths = {}
    for line in io.lines(args[2]) do
      if line ~= "" then paths[#paths + 1] = line end
    end
    if #paths == 0 then error("no paths in " .. args[2]) end
  else
    error("first script argument must be 'ids' or 'paths'")
  end
end

function request()
  local path
  if mode == "ids" then
    path = template:gsub("{id}", tostring(math.random(1, max_id)))
  else
    path = paths[math.random(1, #paths)]
  end
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"seconds":%.3f,"rps":%.2f,"bytes":%d,' ..
    '"mean_ms":%.3f,"p50_ms":%.3f,"p90_ms":%.3f,"p95_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
