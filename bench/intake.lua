-- wrk script: POSTs NDJSON batches of new time entries to /api/v1/time_entries.
-- Each request carries `batch` entries with ids unique across the run, so the
-- server writes new rows rather than replacing old ones, for 40 people of its
-- own: a person logs at most 24 hours a day, and a request gives each of its
-- 840 person-days about 13.
local batch = tonumber(os.getenv("BATCH") or "5000")
local token = os.getenv("TOKEN")
local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-ndjson"
  wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
  counter = counter + 1
  local lines = {}
  for i = 1, batch do
    lines[i] = string.format(
      '{"external_id":"t%d-r%d-%d","person":"p-t%d-r%d-%d","date":"2026-%02d-%02d","hours":%.2f,"project":"pr-%d","client":"c-%d","billable":%s}',
      tid, counter, i, tid, counter, i % 40, (i % 12) + 1, (i % 28) + 1, (i % 16) * 0.25 + 0.25, i % 120, i % 30, (i % 4 ~= 0) and "true" or "false")
  end
  return wrk.format(nil, "/api/v1/time_entries", nil, table.concat(lines, "\n"))
end

function response(status, headers, body)
  if status ~= 200 then
    print("status " .. status .. ": " .. body:sub(1, 200))
  end
end
