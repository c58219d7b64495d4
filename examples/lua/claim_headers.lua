-- Hands the verified identity to the upstream: the route runs the `jwt`
-- policy before this one, so req.claims holds the token's verified claims
-- (nil when the request carried no token, with jwt `optional: true`).
--
--   policies:
--     - jwt: { ... }
--     - lua: { file: examples/lua/claim_headers.lua }

function on_request(req)
  -- Only this script may set these: drop whatever the client sent.
  req:remove_header("X-User-Id")
  req:remove_header("X-User-Org")
  local claims = req.claims
  if claims == nil then
    return
  end
  if claims.sub ~= nil then
    req:set_header("X-User-Id", tostring(claims.sub))
  end
  -- Nested claims arrive as tables: {"org": {"id": 7}} is claims.org.id.
  if type(claims.org) == "table" and claims.org.id ~= nil then
    req:set_header("X-User-Org", tostring(claims.org.id))
  end
  -- Kept for on_response: req.ctx lives as long as the request.
  req.ctx.user = claims.sub
end

function on_response(req, resp)
  if req.ctx.user ~= nil then
    resp:set_header("X-Served-For", tostring(req.ctx.user))
  end
end
