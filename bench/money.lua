-- wrk script of `make bench`: one money movement per request.
--
--   wrk -t T -c C -d S -s bench/money.lua URL -- DATA OPERATION NONCE THREADS
--
-- DATA is a Lua file bench/run.py writes: it returns
-- {accounting_token = "...", users = {{id, token, main}, ...}}, the
-- benchmark's users with their access tokens and main USD account ids.
-- OPERATION is one of the keys of `operations` below. NONCE makes this
-- run's Idempotency-Keys differ from every other run's; THREADS is wrk's -t.
--
-- Every request carries a fresh Idempotency-Key, as a client's first try
-- does. Thread t takes users t, t + THREADS, ... in turn, one per request,
-- so that requests in flight at once are on different users (on different
-- rows) as long as there are more users than connections.
--
-- done() prints one line, `BENCH_JSON {...}`: requests, duration, latency
-- percentiles (microseconds), socket errors and answers by status.

local operations = {
  ["accounting-credit"] = function(user)
    return "/internal/v1/holders/" .. user.id .. "/credits",
      "Service " .. data.accounting_token,
      '{"amount": "1.00", "currency": "USD"}'
  end,
  ["credit"] = function(user)
    return "/api/v1/credits", "Bearer " .. user.token,
      '{"amount": "1.00"}'
  end,
  ["transfer"] = function(user, next_user)
    return "/api/v1/transfers", "Bearer " .. user.token,
      '{"to_account": "' .. next_user.main .. '", "amount": "1.00"}'
  end,
  ["withdrawal"] = function(user)
    return "/api/v1/withdrawals", "Bearer " .. user.token,
      '{"amount": "1.00", "category": "groceries"}'
  end,
  ["conversion"] = function(user)
    return "/api/v1/conversions", "Bearer " .. user.token,
      '{"from_currency": "USD", "to_currency": "EUR", "amount": "1.00"}'
  end,
}

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function init(args)
  data = dofile(args[1])
  operation = operations[args[2]]
  if operation == nil then
    error("unknown operation " .. tostring(args[2]))
  end
  nonce = tonumber(args[3])
  local step = tonumber(args[4])
  mine = {}
  for i = thread_id, #data.users, step do
    table.insert(mine, i)
  end
  sent = 0
  statuses = {}
  math.randomseed(nonce + thread_id)
end

function request()
  sent = sent + 1
  local index = mine[(sent - 1) % #mine + 1]
  local user = data.users[index]
  local next_user = data.users[index % #data.users + 1]
  local path, authorization, body = operation(user, next_user)
  local key = string.format(
    "%08x-%04x-4%03x-%04x-%012x",
    nonce, thread_id, math.random(0, 4095), math.random(0, 65535), sent
  )
  return wrk.format("POST", path, {
    ["Authorization"] = authorization,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key,
  }, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "socket_errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), latency.max,
    errors.connect + errors.read + errors.write + errors.timeout,
    table.concat(parts, ", ")
  ))
end
