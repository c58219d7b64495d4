-- wrk script: every request asks for a path no earlier request asked for
-- (BENCH_PATH with a random query), so that a cache misses and stores each
-- response. Seeded per run, so runs do not repeat one another's paths.
local path = "/bytes/1024"

init = function(args)
  if args[1] then path = args[1] end
  math.randomseed(os.time() + os.clock() * 1000000)
end

request = function()
  return wrk.format(nil, string.format("%s?u=%d%06d", path, math.random(0, 999999), math.random(0, 999999)))
end
