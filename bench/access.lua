-- wrk script of bench/access.py: the access API's hot paths, one different person per request.
-- BENCH_KEY (API key), BENCH_MODE (check | person), BENCH_PEOPLE / BENCH_CALENDARS (id files)
local key = os.getenv("BENCH_KEY") or ""
local mode = os.getenv("BENCH_MODE") or "check"
local function lines(path)
  local out = {}
  for line in io.lines(path) do out[#out + 1] = line end
  return out
end
local people = lines(os.getenv("BENCH_PEOPLE"))
local calendars = lines(os.getenv("BENCH_CALENDARS"))
local headers = { ["Authorization"] = "Bearer " .. key }
local n = 0

request = function()
  n = n + 1
  local person = people[(n % #people) + 1]
  if mode == "person" then
    return wrk.format("GET", "/api/v1/people/" .. person, headers)
  end
  local calendar = calendars[(n % #calendars) + 1]
  return wrk.format("GET", "/api/v1/check?person=" .. person .. "&calendar=" .. calendar, headers)
end
