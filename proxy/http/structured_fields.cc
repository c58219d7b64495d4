#include "proxy/http/structured_fields.h"

#include <charconv>

namespace gatehouse::http::sf {
namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_lcalpha(char c) noexcept { return c >= 'a' && c <= 'z'; }
bool is_alpha(char c) noexcept { return is_lcalpha(c) || (c >= 'A' && c <= 'Z'); }

// RFC 9110 §5.6.2.
bool is_tchar(char c) noexcept {
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return is_digit(c) || is_alpha(c);
  }
}

// The parsing algorithms of RFC 8941 §4.2, over one input consumed from the
// front. Each returns false on a syntax error.
class Parser {
 public:
  explicit Parser(std::string_view input) : in_(input) {}

  bool dictionary(std::vector<DictionaryMember>& out) {
    discard_sp();
    while (!in_.empty()) {
      std::string key;
      if (!parse_key(key)) return false;
      Item value;
      if (peek() == '=') {
        in_.remove_prefix(1);
        if (!item_or_inner_list(value)) return false;
      } else {
        value.type = Item::Type::kBoolean;
        value.integer = 1;
        if (!parameters()) return false;
      }
      set(out, std::move(key), std::move(value));
      discard_ows();
      if (in_.empty()) return true;
      if (peek() != ',') return false;
      in_.remove_prefix(1);
      discard_ows();
      if (in_.empty()) return false;  // a trailing comma
    }
    return true;
  }

 private:
  char peek() const noexcept { return in_.empty() ? '\0' : in_.front(); }
  void discard_sp() noexcept {
    while (!in_.empty() && in_.front() == ' ') in_.remove_prefix(1);
  }
  void discard_ows() noexcept {
    while (!in_.empty() && (in_.front() == ' ' || in_.front() == '\t')) in_.remove_prefix(1);
  }

  // §4.2.2: a repeated key overwrites the value, keeping the position.
  static void set(std::vector<DictionaryMember>& out, std::string key, Item value) {
    for (DictionaryMember& m : out) {
      if (m.key == key) {
        m.value = std::move(value);
        return;
      }
    }
    out.push_back(DictionaryMember{std::move(key), std::move(value)});
  }

  // §4.2.3.3
  bool parse_key(std::string& key) {
    if (in_.empty() || !(is_lcalpha(in_.front()) || in_.front() == '*')) return false;
    std::size_t n = 1;
    while (n < in_.size()) {
      const char c = in_[n];
      if (!(is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '.' || c == '*')) break;
      ++n;
    }
    key.assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }

  // §4.2.1.1
  bool item_or_inner_list(Item& item) {
    if (peek() == '(') return inner_list(item);
    return bare_item(item) && parameters();
  }

  // §4.2.1.2: checked, reported without its members.
  bool inner_list(Item& item) {
    in_.remove_prefix(1);  // '('
    while (!in_.empty()) {
      discard_sp();
      if (peek() == ')') {
        in_.remove_prefix(1);
        item.type = Item::Type::kInnerList;
        return parameters();
      }
      Item member;
      if (!bare_item(member) || !parameters()) return false;
      if (peek() != ' ' && peek() != ')') return false;
    }
    return false;  // no closing parenthesis
  }

  // §4.2.3.2: checked and dropped.
  bool parameters() {
    while (peek() == ';') {
      in_.remove_prefix(1);
      discard_sp();
      std::string key;
      if (!parse_key(key)) return false;
      if (peek() == '=') {
        in_.remove_prefix(1);
        Item value;
        if (!bare_item(value)) return false;
      }
    }
    return true;
  }

  // §4.2.3.1
  bool bare_item(Item& item) {
    const char c = peek();
    if (c == '-' || is_digit(c)) return number(item);
    if (c == '"') return string(item);
    if (c == ':') return byte_sequence(item);
    if (c == '?') return boolean(item);
    if (is_alpha(c) || c == '*') return token(item);
    return false;
  }

  // §4.2.4
  bool number(Item& item) {
    bool negative = false;
    if (peek() == '-') {
      negative = true;
      in_.remove_prefix(1);
    }
    if (!is_digit(peek())) return false;
    bool decimal = false;
    std::size_t n = 0;        // characters of the number (digits and the point)
    std::size_t point = 0;    // where the point is, when decimal
    while (n < in_.size()) {
      const char c = in_[n];
      if (is_digit(c)) {
        ++n;
      } else if (!decimal && c == '.') {
        if (n > 12) return false;
        decimal = true;
        point = n;
        ++n;
      } else {
        break;
      }
      if (!decimal && n > 15) return false;
      if (decimal && n > 16) return false;
    }
    const std::string_view text = in_.substr(0, n);
    in_.remove_prefix(n);
    if (!decimal) {
      std::int64_t value = 0;
      std::from_chars(text.data(), text.data() + text.size(), value);  // at most 15 digits: fits
      item.type = Item::Type::kInteger;
      item.integer = negative ? -value : value;
      return true;
    }
    const std::size_t fraction = n - point - 1;
    if (fraction == 0 || fraction > 3) return false;
    item.type = Item::Type::kDecimal;
    double value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);  // not strtod: no locale
    item.decimal = negative ? -value : value;
    return true;
  }

  // §4.2.5
  bool string(Item& item) {
    in_.remove_prefix(1);  // '"'
    std::string out;
    while (!in_.empty()) {
      const char c = in_.front();
      in_.remove_prefix(1);
      if (c == '\\') {
        if (in_.empty()) return false;
        const char escaped = in_.front();
        in_.remove_prefix(1);
        if (escaped != '"' && escaped != '\\') return false;
        out.push_back(escaped);
      } else if (c == '"') {
        item.type = Item::Type::kString;
        item.text = std::move(out);
        return true;
      } else if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) {
        return false;
      } else {
        out.push_back(c);
      }
    }
    return false;  // no closing quote
  }

  // §4.2.6
  bool token(Item& item) {
    std::size_t n = 1;
    while (n < in_.size() && (is_tchar(in_[n]) || in_[n] == ':' || in_[n] == '/')) ++n;
    item.type = Item::Type::kToken;
    item.text.assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }

  // §4.2.7: the base64 text is checked, not decoded.
  bool byte_sequence(Item& item) {
    in_.remove_prefix(1);  // ':'
    const std::size_t end = in_.find(':');
    if (end == std::string_view::npos) return false;
    const std::string_view b64 = in_.substr(0, end);
    for (char c : b64) {
      if (!(is_alpha(c) || is_digit(c) || c == '+' || c == '/' || c == '=')) return false;
    }
    item.type = Item::Type::kByteSequence;
    item.text.assign(b64);
    in_.remove_prefix(end + 1);
    return true;
  }

  // §4.2.8
  bool boolean(Item& item) {
    in_.remove_prefix(1);  // '?'
    const char c = peek();
    if (c != '0' && c != '1') return false;
    in_.remove_prefix(1);
    item.type = Item::Type::kBoolean;
    item.integer = c == '1' ? 1 : 0;
    return true;
  }

  std::string_view in_;
};

}  // namespace

std::optional<std::vector<DictionaryMember>> parse_dictionary(std::string_view value) {
  std::vector<DictionaryMember> out;
  Parser parser(value);
  if (!parser.dictionary(out)) return std::nullopt;
  return out;
}

}  // namespace gatehouse::http::sf
