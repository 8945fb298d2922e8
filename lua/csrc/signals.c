/* dlscratch.signals: SIGINT and SIGTERM caught into a flag, so that bin/train can finish the step in
 * progress and write its checkpoint (shared_tests/README.md section 8, "Interrupted runs").
 *
 *   local signals = require("dlscratch.signals")
 *   signals.install()   -- replaces the interpreter's own SIGINT handler (lua.c's "interrupted!")
 *   signals.pending()   -- the number of the first signal caught since install, or nil
 *   signals.restore()   -- the handlers that were there before install
 *   signals.raise(n)    -- sends signal n to this process (raise(3))
 *   signals.SIGINT, signals.SIGTERM
 *
 * One source for Lua 5.4 and LuaJIT (the 5.1 API); the handler only stores into a sig_atomic_t. */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <string.h>
#include <errno.h>

#include <lua.h>
#include <lauxlib.h>

static volatile sig_atomic_t caught = 0;
static struct sigaction previous_int, previous_term;
static int installed = 0;

static void on_signal(int signo) {
  if (caught == 0) caught = signo;
}

static int l_install(lua_State *L) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART; /* reads and writes in progress go on */
  if (sigaction(SIGINT, &sa, installed ? NULL : &previous_int) != 0 ||
      sigaction(SIGTERM, &sa, installed ? NULL : &previous_term) != 0)
    return luaL_error(L, "sigaction: %s", strerror(errno));
  installed = 1;
  caught = 0;
  return 0;
}

static int l_pending(lua_State *L) {
  if (caught == 0) lua_pushnil(L);
  else lua_pushinteger(L, (lua_Integer)caught);
  return 1;
}

static int l_restore(lua_State *L) {
  if (installed) {
    if (sigaction(SIGINT, &previous_int, NULL) != 0 || sigaction(SIGTERM, &previous_term, NULL) != 0)
      return luaL_error(L, "sigaction: %s", strerror(errno));
    installed = 0;
  }
  return 0;
}

static int l_raise(lua_State *L) {
  int signo = (int)luaL_checkinteger(L, 1);
  if (raise(signo) != 0) return luaL_error(L, "raise(%d) failed", signo);
  return 0;
}

static const luaL_Reg functions[] = {
  {"install", l_install},
  {"pending", l_pending},
  {"restore", l_restore},
  {"raise", l_raise},
  {NULL, NULL}
};

int luaopen_dlscratch_signals(lua_State *L) {
#if LUA_VERSION_NUM >= 502
  luaL_newlib(L, functions);
#else
  lua_newtable(L);
  luaL_register(L, NULL, functions);
#endif
  lua_pushinteger(L, SIGINT);
  lua_setfield(L, -2, "SIGINT");
  lua_pushinteger(L, SIGTERM);
  lua_setfield(L, -2, "SIGTERM");
  return 1;
}
