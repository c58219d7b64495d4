-- Refuses requests by a claim of their verified token: a role listed in
-- `denied` gets 403, a request without verified claims 401. Runs after the
-- `jwt` policy (use jwt `optional: true` to let this script word the 401).
--
--   policies:
--     - jwt: { ... }
--     - lua: { file: examples/lua/deny_role.lua }

local denied = { guest = true, suspended = true }

local json = { ["Content-Type"] = "application/json" }

-- `role` may be one string or a list of them.
local function roles_of(claims)
  if type(claims.role) == "string" then
    return { claims.role }
  elseif type(claims.role) == "table" then
    return claims.role
  end
  return {}
end

function on_request(req)
  local claims = req.claims
  if claims == nil then
    return req:respond(401, '{"error":"unauthorized","message":"a verified token is required"}', json)
  end
  for _, role in ipairs(roles_of(claims)) do
    if denied[role] then
      return req:respond(403, '{"error":"forbidden","message":"this role may not use this route"}', json)
    end
  end
end
