-- wrk script for every SCIM benchmark; bench/run.py sets the environment.
--
-- BENCH_MODE     get | filter | page_first | page_deep | post | put | patch
--                (concurrent: wrk's own latency statistics)
--                group_add | group_remove | import
--                (sequential on one connection: timed here, exits when done)
-- BENCH_PREFIX   "/scim/v2" (Enlist, ceiling) or "/v2" (scim2-server)
-- BENCH_TOKEN    the bearer secret
-- BENCH_IDS      file of "id userName" lines (a shuffled sample of the users)
-- BENCH_POOL     group_add: file of user ids outside the big group (1,000 per request)
-- BENCH_MEMBERS  group_remove: file of ids of big-group members (one removed per request)
-- BENCH_GROUP    id of the big group
-- BENCH_USERS    number of users (deep page, import); BENCH_GROUPS: number of groups (import)
-- BENCH_LIMIT    most requests of a sequential mode
-- BENCH_RUN      a tag that makes POSTed userNames unique across runs

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *tp);
]]
local clock = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(1, clock)
  return tonumber(clock.tv_sec) * 1e6 + tonumber(clock.tv_nsec) / 1e3
end

local mode = os.getenv("BENCH_MODE") or "get"
local prefix = os.getenv("BENCH_PREFIX") or "/scim/v2"
local token = os.getenv("BENCH_TOKEN") or ""
local run_tag = os.getenv("BENCH_RUN") or "r"
local n_users = tonumber(os.getenv("BENCH_USERS") or "0")
local n_groups = tonumber(os.getenv("BENCH_GROUPS") or "0")
local limit = tonumber(os.getenv("BENCH_LIMIT") or "1000000000")
local group = os.getenv("BENCH_GROUP") or ""

local function lines(path)
  local out = {}
  if path == nil or path == "" then return out end
  for line in io.lines(path) do out[#out + 1] = line end
  return out
end

local ids, names = {}, {}
for _, line in ipairs(lines(os.getenv("BENCH_IDS"))) do
  local id, name = line:match("^(%S+)%s+(%S+)$")
  ids[#ids + 1] = id
  names[#names + 1] = name
end
local pool = lines(os.getenv("BENCH_POOL"))
local members = lines(os.getenv("BENCH_MEMBERS"))

local scim_json = "application/scim+json"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Accept"] = scim_json

local counter = 0
local sequential = (mode == "group_add" or mode == "group_remove" or mode == "import")

local function encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function user_body(name, display, active)
  return string.format(
    '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"%s",' ..
    '"name":{"givenName":"Bench","familyName":"%s"},"emails":[{"primary":true,"value":"%s","type":"work"}],' ..
    '"displayName":"%s","locale":"en-US","externalId":"ext-%s","groups":[],"password":"1mz050nq","active":%s}',
    name, display, name, display, name, active and "true" or "false")
end

-- wrk.format uses the headers it is given instead of wrk.headers, so repeat them here
local body_headers = { ["Content-Type"] = scim_json, ["Authorization"] = "Bearer " .. token, ["Accept"] = scim_json }
local import_users_pages = math.ceil(n_users / 100)
local import_pages = import_users_pages + math.ceil(n_groups / 100)

local function build()
  counter = counter + 1
  local i = (counter - 1) % math.max(#ids, 1) + 1
  local pass = math.floor((counter - 1) / math.max(#ids, 1))
  if mode == "get" then
    return wrk.format("GET", prefix .. "/Users/" .. ids[i])
  elseif mode == "filter" then
    return wrk.format("GET", prefix .. "/Users?filter=" .. encode('userName eq "' .. names[i] .. '"') .. "&startIndex=1&count=100")
  elseif mode == "page_first" then
    return wrk.format("GET", prefix .. "/Users?startIndex=1&count=100")
  elseif mode == "page_deep" then
    return wrk.format("GET", prefix .. "/Users?startIndex=" .. math.max(1, n_users - 99) .. "&count=100")
  elseif mode == "post" then
    local name = string.format("new-%s-%d@example.com", run_tag, counter)
    return wrk.format("POST", prefix .. "/Users", body_headers, user_body(name, "New " .. counter, true))
  elseif mode == "put" then
    return wrk.format("PUT", prefix .. "/Users/" .. ids[i], body_headers,
      user_body(names[i], "Put " .. run_tag .. " " .. counter, true))
  elseif mode == "patch" then
    -- deactivate on the first pass over the sample, reactivate on the next, ...
    local active = (pass % 2 == 1) and "true" or "false"
    return wrk.format("PATCH", prefix .. "/Users/" .. ids[i], body_headers,
      '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":' .. active .. '}}]}')
  elseif mode == "group_add" then
    local parts = {}
    local first = (counter - 1) * 1000
    for k = 1, 1000 do
      parts[k] = '{"value":"' .. pool[first + k] .. '"}'
    end
    return wrk.format("PATCH", prefix .. "/Groups/" .. group, body_headers,
      '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":[' ..
      table.concat(parts, ",") .. ']}]}')
  elseif mode == "group_remove" then
    return wrk.format("PATCH", prefix .. "/Groups/" .. group, body_headers,
      '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \\"' ..
      members[counter] .. '\\"]"}]}')
  elseif mode == "import" then
    if counter <= import_users_pages then
      return wrk.format("GET", prefix .. "/Users?startIndex=" .. ((counter - 1) * 100 + 1) .. "&count=100")
    end
    local page = counter - import_users_pages
    return wrk.format("GET", prefix .. "/Groups?startIndex=" .. ((page - 1) * 100 + 1) .. "&count=100")
  end
  error("unknown BENCH_MODE " .. mode)
end

if mode == "group_add" then limit = math.min(limit, math.floor(#pool / 1000)) end
if mode == "group_remove" then limit = math.min(limit, #members) end
if mode == "import" then limit = import_pages end

-- sequential modes: one connection, each request timed here -------------------------
local started, sent_at, latencies, failures, first_status = 0, 0, {}, 0, nil

request = function()
  if sequential then
    if started == 0 then started = now_us() end
    sent_at = now_us()
  end
  return build()
end

local function finish()
  local total = now_us() - started
  table.sort(latencies)
  local n = #latencies
  local function pct(p) return n > 0 and latencies[math.max(1, math.ceil(n * p / 100))] or 0 end
  io.write(string.format(
    '{"requests": %d, "duration_us": %.0f, "p50_us": %.1f, "p99_us": %.1f, "mean_us": %.1f, "errors": %d, "first_error": %s}\n',
    n, total, pct(50), pct(99), n > 0 and total / n or 0, failures, first_status and tostring(first_status) or "null"))
  io.flush()
  os.exit(0)
end

response = function(status, headers, body)
  if not sequential then return end
  latencies[#latencies + 1] = now_us() - sent_at
  if status >= 300 then
    failures = failures + 1
    if first_status == nil then first_status = status end
  end
  if #latencies >= limit then finish() end
end

done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write +
      summary.errors.status + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %.1f, "p99_us": %.1f, "mean_us": %.1f, "errors": %d, "first_error": null}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.mean, errors))
end
