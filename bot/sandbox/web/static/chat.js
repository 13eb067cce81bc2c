// The web chat: be a demo user, talk to the bot through the local Bot API server's control
// API (docs/CONTROL_API.md), and see its answers arrive over server-sent events.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const ui = {
    app: $("app"), users: $("users"), userList: $("user-list"), scrim: $("scrim"),
    usersToggle: $("users-toggle"), botName: $("bot-name"), botStatus: $("bot-status"),
    whoami: $("whoami"), banner: $("banner"), bannerText: $("banner-text"),
    messages: $("messages"), toast: $("toast"), commands: $("commands"),
    composer: $("composer"), menuButton: $("menu-button"), input: $("input"), send: $("send"),
    alertDialog: $("alert-dialog"), alertText: $("alert-text"),
  };

  const RETRY_MAX_MS = 5000;
  const POLL_MS = 2000;
  const PENDING_MS = 15000;
  const COMMAND = /(?<![\w/])\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])/;
  const URL_TEXT = /https?:\/\/[^\s<>"]*[^\s<>".,;:!?)\]'»]/;
  const AUTOLINK = new RegExp(`(${URL_TEXT.source})|(${COMMAND.source})`, "g");
  const SAFE_LINK = /^(https?:|mailto:|tg:)/i;

  const state = {
    bot: { first_name: "uabot", username: "" },
    users: [],
    current: null, // user id
    chats: new Map(), // user id -> Chat
    commands: [],
    menu: { mode: null, items: [], index: 0 },
    pressed: new Map(), // callback_query_id -> the button waiting for its answer
    answeredEarly: new Set(),
    sending: false,
  };

  class Chat {
    constructor(user, index) {
      this.user = user;
      this.index = index;
      this.messages = new Map(); // message_id -> control API message, in order
      this.lastId = 0;
      this.unread = 0;
      this.source = null;
      this.online = false;
      this.loaded = false;
      this.notice = null;
      this.retry = 0;
      this.timer = null;
    }
  }

  // -- the control API ----------------------------------------------------------------------

  class Unreachable extends Error {}

  async function api(method, path, body) {
    let response;
    try {
      response = await fetch(path, {
        method,
        cache: "no-store",
        headers: body ? { "content-type": "application/json" } : {},
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (error) {
      throw new Unreachable(String(error));
    }
    const isJson = (response.headers.get("content-type") || "").includes("json");
    const data = isJson ? await response.json() : null;
    if (!response.ok) {
      throw new Error((data && data.error) || `${response.status} ${response.statusText}`);
    }
    return data;
  }

  const me = () => state.chats.get(state.current).user;

  // -- live chats ---------------------------------------------------------------------------
  // The chat on screen: its history, then its server-sent events; on a failure, again after a
  // growing pause. The others: their history every few seconds, for the unread badges. One
  // stream a tab leaves the browser's six connections per server for more tabs and requests.

  async function connect(chat) {
    quiet(chat);
    let history;
    try {
      history = await api("GET", `/_control/chats/${chat.user.user_id}/messages`);
    } catch (error) {
      lost(chat);
      return;
    }
    if (chat.user.user_id !== state.current) return; // switched away meanwhile
    loadHistory(chat, history);
    const source = new EventSource(
      `/_control/chats/${chat.user.user_id}/events?since=${chat.lastId}`
    );
    chat.source = source;
    source.onopen = () => {
      chat.retry = 0;
      setOnline(chat, true);
    };
    source.onmessage = (event) => receive(chat, JSON.parse(event.data));
    source.addEventListener("callback_answer", (event) => answered(JSON.parse(event.data)));
    source.onerror = () => {
      if (chat.source !== source) return;
      quiet(chat);
      lost(chat);
    };
  }

  function quiet(chat) {
    clearTimeout(chat.timer);
    if (chat.source) chat.source.close();
    chat.source = null;
  }

  function lost(chat) {
    setOnline(chat, false);
    if (chat.user.user_id !== state.current) return;
    const delay = Math.min(500 * 2 ** chat.retry, RETRY_MAX_MS);
    chat.retry += 1;
    clearTimeout(chat.timer);
    chat.timer = setTimeout(() => connect(chat), delay);
  }

  function reconnectNow() {
    const chat = state.chats.get(state.current);
    if (chat && !chat.online) {
      chat.retry = 0;
      connect(chat);
    }
  }

  async function pollOthers() {
    for (const chat of state.chats.values()) {
      if (chat.user.user_id === state.current) continue;
      try {
        const history = await api("GET", `/_control/chats/${chat.user.user_id}/messages`);
        if (chat.user.user_id !== state.current) loadHistory(chat, history);
      } catch (error) {
        break; // the stream of the chat on screen tells when the server is gone
      }
    }
    setTimeout(pollOthers, POLL_MS);
  }

  function loadHistory(chat, history) {
    const before = chat.messages;
    if (chat.loaded && JSON.stringify(history) === JSON.stringify([...before.values()])) return;
    // The server keeps chats in memory: after a restart it remembers none of them.
    const first = history[0];
    const known = first && before.get(first.message_id);
    const restarted =
      chat.loaded && before.size > 0 && (!first || !known || known.timestamp !== first.timestamp);
    if (restarted) {
      chat.notice = "The server restarted: earlier messages are gone.";
      chat.unread = 0;
    }
    const current = chat.user.user_id === state.current;
    if (chat.loaded && !restarted && !current) {
      chat.unread += history.filter((m) => m.from_bot && !before.has(m.message_id)).length;
    }
    chat.messages = new Map(history.map((m) => [m.message_id, m]));
    chat.lastId = history.length ? history[history.length - 1].message_id : 0;
    chat.loaded = true;
    if (current) {
      renderChat();
      loadCommands();
    }
    renderUser(chat);
  }

  function receive(chat, message) {
    const old = chat.messages.get(message.message_id);
    chat.messages.set(message.message_id, message);
    chat.lastId = Math.max(chat.lastId, message.message_id);
    const current = chat.user.user_id === state.current;
    if (!old && message.from_bot && !current) chat.unread += 1;
    if (current) showMessage(message, Boolean(old));
    renderUser(chat);
  }

  function setOnline(chat, online) {
    chat.online = online;
    renderStatus();
  }

  function renderStatus() {
    const chat = state.chats.get(state.current);
    const online = Boolean(chat && chat.online);
    const failing = Boolean(chat && !chat.online && chat.retry > 0);
    ui.banner.hidden = !failing;
    ui.botStatus.textContent = online ? "bot" : failing ? "waiting for the server…" : "connecting…";
    ui.botStatus.className = `status ${online ? "online" : "offline"}`;
    ui.bannerText.textContent = `Can't reach the server at ${location.host}. Is \`uabot run\` still running? Reconnecting…`;
  }

  // -- who you are ---------------------------------------------------------------------------

  function initials(name) {
    return (name.trim()[0] || "?").toUpperCase();
  }

  function avatar(name, index, extra = "") {
    const span = document.createElement("span");
    span.className = `avatar c${index % 5} ${extra}`.trim();
    span.setAttribute("aria-hidden", "true");
    span.textContent = initials(name);
    return span;
  }

  function buildUserList() {
    ui.userList.replaceChildren();
    state.users.forEach((user, index) => {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "user";
      button.id = `user-${user.user_id}`;
      button.dataset.userId = user.user_id;
      button.title = `Be ${user.first_name} (Alt+${index + 1})`;
      const name = document.createElement("span");
      name.className = "user-name";
      name.textContent = user.first_name;
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.hidden = true;
      const role = document.createElement("span");
      role.className = "user-role";
      role.textContent = user.label;
      const last = document.createElement("span");
      last.className = "user-last";
      button.append(avatar(user.first_name, index + 1), name, badge, role, last);
      button.addEventListener("click", () => switchTo(user.user_id, true));
      li.append(button);
      ui.userList.append(li);
    });
  }

  function renderUser(chat) {
    const button = document.getElementById(`user-${chat.user.user_id}`);
    if (!button) return;
    const current = chat.user.user_id === state.current;
    button.setAttribute("aria-current", current ? "true" : "false");
    const badge = button.querySelector(".badge");
    badge.hidden = chat.unread === 0;
    badge.textContent = String(chat.unread);
    badge.classList.toggle("unread", chat.unread > 0);
    const last = [...chat.messages.values()].pop();
    const preview = last ? previewOf(last) : "No messages yet";
    button.querySelector(".user-last").textContent = preview;
    button.setAttribute(
      "aria-label",
      `${chat.user.first_name}, ${chat.user.label}` +
        (chat.unread ? `, ${chat.unread} unread` : "") +
        (current ? " (you now)" : "")
    );
    const unread = [...state.chats.values()].reduce((sum, c) => sum + c.unread, 0);
    document.title = `${unread ? `(${unread}) ` : ""}${state.bot.first_name} · web chat`;
  }

  function previewOf(message) {
    const text = message.document
      ? `📄 ${message.document.file_name || "document"}`
      : (message.plain_text || "").split("\n")[0];
    return message.from_bot ? text : `You: ${text}`;
  }

  function switchTo(userId, focusInput) {
    if (!state.chats.has(userId)) return;
    const previous = state.chats.get(state.current);
    const chat = state.chats.get(userId);
    if (previous && previous !== chat) {
      quiet(previous);
      previous.online = false;
      previous.retry = 0;
    }
    state.current = userId;
    chat.unread = 0;
    const user = chat.user;
    history.replaceState(null, "", `#user=${userId}`);
    localStorage.setItem("uabot.user", String(userId));
    ui.whoami.replaceChildren("as ", Object.assign(document.createElement("strong"), {
      textContent: user.first_name,
    }));
    ui.input.placeholder = { ru: "Сообщение", kk: "Хабарлама" }[user.language_code] || "Message";
    ui.input.lang = user.language_code;
    closeMenu();
    closeUsers();
    state.commands = [];
    renderChat();
    renderStatus();
    state.chats.forEach(renderUser);
    loadCommands();
    if (previous !== chat || !chat.source) connect(chat);
    if (focusInput) ui.input.focus();
  }

  function openUsers() {
    ui.users.classList.add("open");
    ui.scrim.hidden = false;
    ui.usersToggle.setAttribute("aria-expanded", "true");
    const current = document.getElementById(`user-${state.current}`);
    if (current) current.focus();
  }

  function closeUsers() {
    if (!ui.users.classList.contains("open")) return;
    ui.users.classList.remove("open");
    ui.scrim.hidden = true;
    ui.usersToggle.setAttribute("aria-expanded", "false");
  }

  // -- messages ------------------------------------------------------------------------------

  const dayFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "long" });
  const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

  function dayOf(message) {
    const date = new Date(message.date * 1000);
    const today = new Date();
    return date.toDateString() === today.toDateString() ? "Today" : dayFormat.format(date);
  }

  function renderChat() {
    const chat = state.chats.get(state.current);
    ui.messages.replaceChildren();
    ui.messages.dataset.lastDay = "";
    if (chat.notice) ui.messages.append(serviceLine(chat.notice));
    if (chat.messages.size === 0) {
      ui.messages.append(emptyChat(chat));
    }
    for (const message of chat.messages.values()) showMessage(message, false, false);
    scrollToEnd();
  }

  function serviceLine(text) {
    const div = document.createElement("div");
    div.className = "service";
    div.textContent = text;
    return div;
  }

  function emptyChat(chat) {
    const card = document.createElement("div");
    card.className = "empty";
    card.id = "empty";
    const title = document.createElement("h3");
    title.textContent = state.bot.first_name;
    const text = document.createElement("p");
    text.textContent =
      `This is ${chat.user.first_name}'s chat with the bot. ` +
      "Tap Start, open the Menu, or type a command such as /cases.";
    const start = document.createElement("button");
    start.type = "button";
    start.className = "kb start";
    start.textContent = "Start";
    start.addEventListener("click", () => sendText("/start"));
    card.append(title, text, start);
    return card;
  }

  function nearBottom() {
    const box = ui.messages;
    return box.scrollHeight - box.scrollTop - box.clientHeight < 120;
  }

  function scrollToEnd() {
    ui.messages.scrollTop = ui.messages.scrollHeight;
  }

  function showMessage(message, edited, live = true) {
    const stick = !live || nearBottom() || !message.from_bot;
    const element = messageElement(message);
    const existing = document.getElementById(`m-${message.message_id}`);
    if (existing) {
      const focusIndex = focusedButtonIndex(existing);
      existing.replaceWith(element);
      if (focusIndex !== null) refocus(element, focusIndex);
    } else {
      document.getElementById("empty")?.remove();
      const day = dayOf(message);
      if (ui.messages.dataset.lastDay !== day) {
        const pill = document.createElement("div");
        pill.className = "day";
        pill.textContent = day;
        ui.messages.append(pill);
        ui.messages.dataset.lastDay = day;
      }
      if (live && !edited) element.classList.add("fresh");
      ui.messages.append(element);
    }
    if (stick) scrollToEnd();
  }

  function focusedButtonIndex(element) {
    const buttons = [...element.querySelectorAll(".kb")];
    const index = buttons.indexOf(document.activeElement);
    return index >= 0 ? index : null;
  }

  function refocus(element, index) {
    const buttons = element.querySelectorAll(".kb");
    const target = buttons[Math.min(index, buttons.length - 1)];
    (target || ui.input).focus();
  }

  function messageElement(message) {
    const outgoing = !message.from_bot;
    const wrapper = document.createElement("div");
    wrapper.className = `msg ${outgoing ? "out" : "in"}`;
    wrapper.id = `m-${message.message_id}`;
    wrapper.dataset.messageId = message.message_id;
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    if (message.reply_to_message_id) {
      const replied = state.chats.get(state.current).messages.get(message.reply_to_message_id);
      if (replied) bubble.append(quoteOf(replied));
    }
    if (message.document) bubble.append(documentCard(message.document));
    const text = document.createElement("div");
    text.className = "text";
    text.append(renderText(message.plain_text || "", message.entities || []));
    text.append(metaOf(message));
    bubble.append(text);
    wrapper.append(bubble);
    const keyboard = message.reply_markup && message.reply_markup.inline_keyboard;
    if (keyboard && keyboard.length) {
      wrapper.classList.add("has-keyboard");
      wrapper.append(inlineKeyboard(message, keyboard));
    }
    return wrapper;
  }

  function quoteOf(replied) {
    const quote = document.createElement("div");
    quote.className = "quote";
    quote.textContent = previewOf(replied).replace(/^You: /, "");
    return quote;
  }

  function metaOf(message) {
    const meta = document.createElement("span");
    meta.className = "meta";
    if (message.edited) {
      const edited = document.createElement("span");
      edited.className = "edited";
      edited.textContent = "edited";
      meta.append(edited);
    }
    const time = document.createElement("time");
    const date = new Date(message.date * 1000);
    time.dateTime = date.toISOString();
    time.textContent = timeFormat.format(date);
    meta.append(time);
    if (!message.from_bot) meta.append(" ✓✓");
    return meta;
  }

  function sizeOf(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }

  function documentCard(document_) {
    const href = `/_control/documents/${encodeURIComponent(document_.file_id)}`;
    const name = document_.file_name || "document";
    const card = document.createElement("div");
    card.className = "doc";
    const icon = document.createElement("a");
    icon.className = "doc-icon";
    icon.href = href;
    icon.download = name;
    icon.tabIndex = -1;
    icon.setAttribute("aria-hidden", "true");
    icon.innerHTML = '<svg viewBox="0 0 24 24"><path d="M12 4v11m0 0-4-4m4 4 4-4M5 20h14"/></svg>';
    const info = document.createElement("div");
    const link = document.createElement("a");
    link.className = "doc-name";
    link.href = href;
    link.download = name;
    link.textContent = name;
    link.setAttribute("aria-label", `Download ${name}`);
    const size = document.createElement("span");
    size.className = "doc-size";
    size.textContent = `${sizeOf(document_.size)}${document_.mime_type ? ` · ${document_.mime_type}` : ""}`;
    info.append(link, size);
    card.append(icon, info);
    return card;
  }

  // -- text with Telegram's entities (UTF-16 offsets, as JavaScript strings count) -----------

  function renderText(text, entities) {
    const fragment = document.createDocumentFragment();
    const sorted = [...entities].sort((a, b) => a.offset - b.offset || b.length - a.length);
    build(fragment, text, sorted, 0, text.length, false);
    return fragment;
  }

  function build(parent, text, entities, start, end, plainOnly) {
    let position = start;
    let i = 0;
    while (i < entities.length) {
      const entity = entities[i];
      const entityEnd = entity.offset + entity.length;
      let j = i + 1;
      while (j < entities.length && entities[j].offset < entityEnd) j += 1;
      appendPlain(parent, text.slice(position, entity.offset), plainOnly);
      const element = entityElement(entity, text.slice(entity.offset, entityEnd));
      const literal = ["code", "pre", "text_link", "url", "bot_command", "email"].includes(entity.type);
      build(element.inner || element, text, entities.slice(i + 1, j), entity.offset, entityEnd,
        plainOnly || literal);
      parent.append(element);
      position = Math.max(position, entityEnd);
      i = j;
    }
    appendPlain(parent, text.slice(position, end), plainOnly);
  }

  function entityElement(entity, content) {
    const make = (tag, className) => {
      const element = document.createElement(tag);
      if (className) element.className = className;
      return element;
    };
    switch (entity.type) {
      case "bold": return make("strong");
      case "italic": return make("em");
      case "underline": return make("u");
      case "strikethrough": return make("s");
      case "code": return make("code");
      case "pre": {
        const pre = make("pre");
        const code = make("code");
        if (entity.language) code.dataset.language = entity.language;
        pre.append(code);
        pre.inner = code;
        return pre;
      }
      case "blockquote":
      case "expandable_blockquote": return make("blockquote");
      case "spoiler": {
        const spoiler = make("span", "spoiler");
        spoiler.tabIndex = 0;
        spoiler.setAttribute("role", "button");
        spoiler.setAttribute("aria-label", "Spoiler: show");
        const reveal = () => spoiler.classList.add("shown");
        spoiler.addEventListener("click", reveal);
        spoiler.addEventListener("keydown", (event) => event.key === "Enter" && reveal());
        return spoiler;
      }
      case "text_link": return link(entity.url);
      case "url": return link(content);
      case "email": return link(`mailto:${content}`);
      case "bot_command": return commandButton(content);
      default: return make("span");
    }
  }

  function link(url) {
    const a = document.createElement("a");
    if (SAFE_LINK.test(url || "")) {
      a.href = url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    }
    return a;
  }

  function commandButton(command) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "cmd";
    button.title = `Send ${command}`;
    button.addEventListener("click", () => sendText(command));
    return button;
  }

  // Telegram's apps make links and /commands in a message tappable: do the same here.
  function appendPlain(parent, text, plainOnly) {
    if (!text) return;
    if (plainOnly) {
      parent.append(text);
      return;
    }
    let last = 0;
    for (const match of text.matchAll(AUTOLINK)) {
      parent.append(text.slice(last, match.index));
      const element = match[1] ? link(match[1]) : commandButton(match[2]);
      element.append(match[0]);
      parent.append(element);
      last = match.index + match[0].length;
    }
    parent.append(text.slice(last));
  }

  // -- inline keyboards and button presses ---------------------------------------------------

  function inlineKeyboard(message, rows) {
    const keyboard = document.createElement("div");
    keyboard.className = "keyboard";
    keyboard.setAttribute("role", "group");
    keyboard.setAttribute("aria-label", "Buttons");
    for (const row of rows) {
      const line = document.createElement("div");
      line.className = "keyboard-row";
      for (const spec of row) line.append(keyboardButton(message, spec));
      keyboard.append(line);
    }
    return keyboard;
  }

  function keyboardButton(message, spec) {
    if (spec.url) {
      const a = link(spec.url);
      a.className = "kb";
      a.textContent = `${spec.text} ↗`;
      return a;
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = "kb";
    button.textContent = spec.text;
    if (spec.callback_data === undefined) {
      button.disabled = true;
      button.title = "This kind of button does nothing in the web chat";
    } else {
      button.addEventListener("click", () => press(message, spec.callback_data, button));
    }
    return button;
  }

  async function press(message, data, button) {
    button.classList.add("pending");
    try {
      const sent = await api("POST", "/_control/updates/callback", {
        user_id: state.current,
        message_id: message.message_id,
        data,
      });
      if (state.answeredEarly.delete(sent.callback_query_id)) {
        button.classList.remove("pending");
        return;
      }
      state.pressed.set(sent.callback_query_id, button);
      setTimeout(() => {
        state.pressed.delete(sent.callback_query_id);
        button.classList.remove("pending");
      }, PENDING_MS);
    } catch (error) {
      button.classList.remove("pending");
      failed(error, "The button press did not reach the server");
    }
  }

  function answered(answer) {
    const button = state.pressed.get(answer.callback_query_id);
    if (button) {
      state.pressed.delete(answer.callback_query_id);
      button.classList.remove("pending");
    } else {
      state.answeredEarly.add(answer.callback_query_id);
    }
    if (!answer.text) return;
    if (answer.show_alert) {
      ui.alertText.textContent = answer.text;
      ui.alertDialog.showModal();
    } else {
      toast(answer.text);
    }
  }

  let toastTimer = null;
  function toast(text) {
    ui.toast.textContent = text;
    ui.toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { ui.toast.hidden = true; }, 3500);
  }

  function failed(error, what) {
    if (error instanceof Unreachable) {
      toast(`${what}: the server is unreachable.`);
    } else {
      toast(`${what}: ${error.message}`);
    }
  }

  // -- sending -------------------------------------------------------------------------------

  async function sendText(text) {
    const message = text.trim();
    if (!message || state.sending) return false;
    const user = me();
    state.sending = true;
    ui.send.disabled = true;
    try {
      await api("POST", "/_control/updates/message", {
        user_id: user.user_id,
        text: message,
        first_name: user.first_name,
        language_code: user.language_code,
      });
      return true;
    } catch (error) {
      failed(error, "Not sent");
      return false;
    } finally {
      state.sending = false;
      syncSendButton();
    }
  }

  async function submitInput() {
    const text = ui.input.value;
    closeMenu();
    if (await sendText(text)) {
      if (ui.input.value === text) ui.input.value = "";
      autosize();
      syncSendButton();
    }
  }

  function autosize() {
    ui.input.style.height = "auto";
    ui.input.style.height = `${Math.min(ui.input.scrollHeight, 160)}px`;
  }

  function syncSendButton() {
    ui.send.disabled = state.sending || ui.input.value.trim() === "";
  }

  // -- the command menu, and suggestions while typing "/" ----------------------------------

  async function loadCommands() {
    const user = me();
    const query = new URLSearchParams({
      scope: "chat",
      chat_id: user.user_id,
      language_code: user.language_code,
    });
    try {
      const commands = await api("GET", `/_control/commands?${query}`);
      if (state.current === user.user_id) state.commands = commands;
    } catch (error) {
      return;
    }
    ui.menuButton.hidden = state.commands.length === 0;
    if (document.activeElement === ui.input) suggest(); // typed "/" before they came
  }

  function openMenu() {
    showCommands("menu", state.commands);
    ui.commands.tabIndex = 0;
    ui.commands.focus();
    loadCommands().then(() => {
      if (state.menu.mode === "menu") showCommands("menu", state.commands, state.menu.index);
    });
  }

  function suggest() {
    const typed = ui.input.value;
    const match = /^\/([A-Za-z0-9_]*)$/.exec(typed);
    if (!match) {
      if (state.menu.mode === "suggest") closeMenu();
      return;
    }
    const prefix = match[1].toLowerCase();
    const items = state.commands.filter((c) => c.command.startsWith(prefix));
    if (!items.length) {
      closeMenu();
      return;
    }
    showCommands("suggest", items);
  }

  function showCommands(mode, items, index = 0) {
    state.menu = { mode, items, index: Math.min(index, Math.max(items.length - 1, 0)) };
    ui.commands.replaceChildren();
    if (!items.length) {
      const none = document.createElement("li");
      none.className = "none";
      none.textContent = "The bot has set no commands.";
      ui.commands.append(none);
    }
    items.forEach((item, i) => {
      const li = document.createElement("li");
      li.id = `command-${item.command}`;
      li.setAttribute("role", "option");
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = `/${item.command}`;
      const description = document.createElement("span");
      description.className = "desc";
      description.textContent = item.description;
      li.append(name, description);
      li.addEventListener("mousedown", (event) => event.preventDefault());
      li.addEventListener("click", () => pickCommand(i, "send"));
      ui.commands.append(li);
    });
    ui.commands.hidden = false;
    ui.menuButton.setAttribute("aria-expanded", String(mode === "menu"));
    ui.input.setAttribute("aria-expanded", String(mode === "suggest"));
    highlight();
  }

  function highlight() {
    const { items, index, mode } = state.menu;
    [...ui.commands.children].forEach((li, i) => li.setAttribute("aria-selected", String(i === index)));
    const active = items[index] ? `command-${items[index].command}` : "";
    const owner = mode === "menu" ? ui.commands : ui.input;
    if (active) owner.setAttribute("aria-activedescendant", active);
    document.getElementById(active)?.scrollIntoView({ block: "nearest" });
  }

  function closeMenu() {
    if (!state.menu.mode) return;
    const wasMenu = state.menu.mode === "menu";
    state.menu = { mode: null, items: [], index: 0 };
    ui.commands.hidden = true;
    ui.commands.removeAttribute("aria-activedescendant");
    ui.input.removeAttribute("aria-activedescendant");
    ui.menuButton.setAttribute("aria-expanded", "false");
    ui.input.setAttribute("aria-expanded", "false");
    if (wasMenu && document.activeElement === ui.commands) ui.input.focus();
  }

  function pickCommand(index, how) {
    const item = state.menu.items[index];
    if (!item) return;
    closeMenu();
    if (how === "complete") {
      ui.input.value = `/${item.command} `;
      autosize();
      syncSendButton();
      ui.input.focus();
      return;
    }
    ui.input.value = "";
    syncSendButton();
    ui.input.focus();
    sendText(`/${item.command}`);
  }

  function moveInMenu(event) {
    const { items } = state.menu;
    if (!items.length) return false;
    const keys = { ArrowDown: 1, ArrowUp: -1 };
    if (event.key in keys) {
      state.menu.index = (state.menu.index + keys[event.key] + items.length) % items.length;
      highlight();
      return true;
    }
    if (event.key === "Home" || event.key === "End") {
      state.menu.index = event.key === "Home" ? 0 : items.length - 1;
      highlight();
      return true;
    }
    return false;
  }

  // -- wiring --------------------------------------------------------------------------------

  function wire() {
    ui.composer.addEventListener("submit", (event) => {
      event.preventDefault();
      submitInput();
    });
    ui.input.addEventListener("input", () => {
      autosize();
      syncSendButton();
      suggest();
    });
    ui.input.addEventListener("keydown", (event) => {
      if (state.menu.mode === "suggest") {
        if (moveInMenu(event)) return event.preventDefault();
        if (event.key === "Tab" && !event.shiftKey) {
          event.preventDefault();
          return pickCommand(state.menu.index, "complete");
        }
        if (event.key === "Enter" && !event.shiftKey) {
          event.preventDefault();
          return pickCommand(state.menu.index, "send");
        }
        if (event.key === "Escape") return closeMenu();
      }
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submitInput();
      }
    });
    ui.menuButton.addEventListener("click", () =>
      state.menu.mode === "menu" ? closeMenu() : openMenu()
    );
    ui.commands.addEventListener("keydown", (event) => {
      if (moveInMenu(event)) return event.preventDefault();
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        pickCommand(state.menu.index, "send");
      } else if (event.key === "Escape" || event.key === "Tab") {
        closeMenu();
        if (event.key === "Escape") ui.menuButton.focus();
      }
    });
    ui.commands.addEventListener("focusout", (event) => {
      if (state.menu.mode === "menu" && !ui.commands.contains(event.relatedTarget) &&
          event.relatedTarget !== ui.menuButton) closeMenu();
    });
    document.addEventListener("click", (event) => {
      if (!state.menu.mode) return;
      if (!ui.commands.contains(event.target) && !ui.menuButton.contains(event.target) &&
          event.target !== ui.input) closeMenu();
    });
    ui.usersToggle.addEventListener("click", openUsers);
    ui.scrim.addEventListener("click", closeUsers);
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        if (ui.users.classList.contains("open")) {
          closeUsers();
          ui.usersToggle.focus();
        } else if (state.menu.mode) {
          closeMenu();
        }
      }
      const digit = Number(event.key);
      if (event.altKey && digit >= 1 && digit <= state.users.length) {
        event.preventDefault();
        switchTo(state.users[digit - 1].user_id, true);
      }
    });
    window.addEventListener("online", reconnectNow);
    window.addEventListener("hashchange", () => {
      const wanted = wantedUser();
      if (wanted && wanted !== state.current) switchTo(wanted, false);
    });
  }

  function wantedUser() {
    const match = /user=(-?\d+)/.exec(location.hash);
    const id = match ? Number(match[1]) : Number(localStorage.getItem("uabot.user"));
    return state.chats.has(id) ? id : null;
  }

  async function start() {
    wire();
    syncSendButton();
    let demo;
    while (!demo) {
      try {
        demo = await api("GET", "/web/demo.json");
      } catch (error) {
        ui.banner.hidden = false;
        ui.bannerText.textContent = `Can't reach the server at ${location.host}. Reconnecting…`;
        await new Promise((resolve) => setTimeout(resolve, 2000));
      }
    }
    state.bot = demo.bot;
    state.users = demo.users;
    ui.botName.textContent = state.bot.first_name;
    document.querySelector(".bot-avatar").textContent = initials(state.bot.first_name);
    state.users.forEach((user, index) => state.chats.set(user.user_id, new Chat(user, index)));
    buildUserList();
    switchTo(wantedUser() || state.users[0].user_id, false);
    setTimeout(pollOthers, POLL_MS / 4);
  }

  start();
})();
