// Lexer and recursive-descent parser for FEEL-like and ${...} JUEL expressions.
#include <algorithm>
#include <cctype>
#include <charconv>

#include "ast.h"

namespace quire::definitions::expressions {
namespace {

using NodePtr = std::unique_ptr<const Expression::Node>;

// Deepest expression tree accepted (far more than anyone writes, far less than the stack).
constexpr int kMaxDepth = 100;

enum class Tok {
  kEnd,
  kNumber,
  kString,
  kName,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kDot,
  kDotDot,
  kPlus,
  kMinus,
  kStar,
  kSlash,
  kPower,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAndAnd,
  kOrOr,
  kBang,
  kQuestion,
  kColon,
  kLBrace,
  kRBrace,
};

struct Token {
  Tok kind = Tok::kEnd;
  std::size_t pos = 0;    // in the full text
  std::string_view text;  // as written
  double number = 0;
  std::string string;  // kString: unescaped
};

class Parser {
 public:
  Parser(std::string_view body, std::size_t offset, Dialect dialect, const std::string& full)
      : body_(body), offset_(offset), dialect_(dialect), full_(full) {}

  Result<NodePtr> Run() {
    QUIRE_RETURN_IF_ERROR(Lex());
    QUIRE_ASSIGN_OR_RETURN(NodePtr root, ParseExpression());
    if (Peek().kind != Tok::kEnd) return Fail("an operator or the end");
    return root;
  }

 private:
  // ---- lexing -----------------------------------------------------------------------------

  Result<void> Lex() {
    std::size_t i = 0;
    while (true) {
      while (i < body_.size() && std::isspace(static_cast<unsigned char>(body_[i]))) ++i;
      Token t;
      t.pos = offset_ + i;
      if (i >= body_.size()) {
        tokens_.push_back(t);
        return Ok();
      }
      const char c = body_[i];
      const auto two = [&](char next) { return i + 1 < body_.size() && body_[i + 1] == next; };
      std::size_t len = 1;
      if (std::isdigit(static_cast<unsigned char>(c)) ||
          (c == '.' && i + 1 < body_.size() &&
           std::isdigit(static_cast<unsigned char>(body_[i + 1])))) {
        std::size_t j = i;
        while (j < body_.size() && std::isdigit(static_cast<unsigned char>(body_[j]))) ++j;
        if (j + 1 < body_.size() && body_[j] == '.' &&
            std::isdigit(static_cast<unsigned char>(body_[j + 1]))) {
          ++j;
          while (j < body_.size() && std::isdigit(static_cast<unsigned char>(body_[j]))) ++j;
        }
        t.kind = Tok::kNumber;
        const auto [end, ec] = std::from_chars(body_.data() + i, body_.data() + j, t.number);
        if (ec != std::errc()) return FailAt(t.pos, "a number");
        (void)end;
        len = j - i;
      } else if (c == '"' || (c == '\'' && dialect_ == Dialect::kJuel)) {
        t.kind = Tok::kString;
        std::size_t j = i + 1;
        for (; j < body_.size() && body_[j] != c; ++j) {
          if (body_[j] == '\\' && j + 1 < body_.size()) {
            ++j;
            switch (body_[j]) {
              case 'n':
                t.string.push_back('\n');
                break;
              case 't':
                t.string.push_back('\t');
                break;
              case 'r':
                t.string.push_back('\r');
                break;
              default:
                t.string.push_back(body_[j]);
                break;
            }
          } else {
            t.string.push_back(body_[j]);
          }
        }
        if (j >= body_.size())
          return FailAt(t.pos, std::string("a closing ") + c + " for this string");
        len = j + 1 - i;
      } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' ||
                 static_cast<unsigned char>(c) >= 0x80) {
        std::size_t j = i;
        while (j < body_.size() &&
               (std::isalnum(static_cast<unsigned char>(body_[j])) || body_[j] == '_' ||
                static_cast<unsigned char>(body_[j]) >= 0x80)) {
          ++j;
        }
        t.kind = Tok::kName;
        len = j - i;
      } else {
        switch (c) {
          case '(':
            t.kind = Tok::kLParen;
            break;
          case ')':
            t.kind = Tok::kRParen;
            break;
          case '[':
            t.kind = Tok::kLBracket;
            break;
          case ']':
            t.kind = Tok::kRBracket;
            break;
          case ',':
            t.kind = Tok::kComma;
            break;
          case '+':
            t.kind = Tok::kPlus;
            break;
          case '-':
            t.kind = Tok::kMinus;
            break;
          case '/':
            t.kind = Tok::kSlash;
            break;
          case '?':
            t.kind = Tok::kQuestion;
            break;
          case ':':
            t.kind = Tok::kColon;
            break;
          case '{':
            t.kind = Tok::kLBrace;
            break;
          case '}':
            t.kind = Tok::kRBrace;
            break;
          case '.':
            t.kind = two('.') ? Tok::kDotDot : Tok::kDot;
            len = two('.') ? 2 : 1;
            break;
          case '*':
            t.kind = two('*') ? Tok::kPower : Tok::kStar;
            len = two('*') ? 2 : 1;
            break;
          case '=':
            t.kind = Tok::kEq;
            len = two('=') ? 2 : 1;
            break;
          case '!':
            t.kind = two('=') ? Tok::kNe : Tok::kBang;
            len = two('=') ? 2 : 1;
            break;
          case '<':
            t.kind = two('=') ? Tok::kLe : Tok::kLt;
            len = two('=') ? 2 : 1;
            break;
          case '>':
            t.kind = two('=') ? Tok::kGe : Tok::kGt;
            len = two('=') ? 2 : 1;
            break;
          case '&':
            if (!two('&')) return FailAt(t.pos, "'&&' (or 'and')");
            t.kind = Tok::kAndAnd;
            len = 2;
            break;
          case '|':
            if (!two('|')) return FailAt(t.pos, "'||' (or 'or')");
            t.kind = Tok::kOrOr;
            len = 2;
            break;
          default:
            return FailAt(t.pos, "an operand or operator, not '" + std::string(1, c) + "'");
        }
      }
      t.text = body_.substr(i, len);
      tokens_.push_back(std::move(t));
      i += len;
    }
  }

  // ---- parsing ----------------------------------------------------------------------------

  const Token& Peek(std::size_t ahead = 0) const {
    return tokens_[std::min(next_ + ahead, tokens_.size() - 1)];
  }
  const Token& Advance() { return tokens_[std::min(next_++, tokens_.size() - 1)]; }
  bool IsName(const Token& t, std::string_view word) const {
    return t.kind == Tok::kName && t.text == word;
  }
  bool AcceptName(std::string_view word) {
    if (!IsName(Peek(), word)) return false;
    ++next_;
    return true;
  }
  bool Accept(Tok kind) {
    if (Peek().kind != kind) return false;
    ++next_;
    return true;
  }

  Error FailAt(std::size_t pos, const std::string& expected) const {
    return Error::InvalidArgument("expression '" + full_ + "': at character " +
                                  std::to_string(pos + 1) + " expected " + expected);
  }
  Error Fail(const std::string& expected) const {
    const Token& t = Peek();
    return FailAt(t.pos,
                  expected + (t.kind == Tok::kEnd ? ", found the end"
                                                  : ", found '" + std::string(t.text) + "'"));
  }

  static std::unique_ptr<Expression::Node> Make(Op op, std::size_t pos,
                                                std::vector<NodePtr> kids = {}) {
    auto node = std::make_unique<Expression::Node>();
    node->op = op;
    node->position = pos;
    node->kids = std::move(kids);
    return node;
  }
  // A composite node, refused when the tree would get deeper than kMaxDepth: evaluating
  // and destroying a tree recurse, so its depth must stay far from the stack's limit.
  Result<NodePtr> Build(Op op, std::size_t pos, std::vector<NodePtr> kids, std::string name = {},
                        const Function* function = nullptr,
                        std::vector<std::string> keys = {}) const {
    auto node = Make(op, pos, std::move(kids));
    node->name = std::move(name);
    node->function = function;
    node->keys = std::move(keys);
    for (const auto& kid : node->kids) node->depth = std::max(node->depth, kid->depth + 1);
    if (node->depth > kMaxDepth) return TooDeep(pos);
    return NodePtr(std::move(node));
  }
  Error TooDeep(std::size_t pos) const {
    return FailAt(pos, "a simpler expression: it nests more than " + std::to_string(kMaxDepth) +
                           " levels deep");
  }

  // Counts the parser's own recursion (brackets, unary operators) on the way down.
  class Descent {
   public:
    explicit Descent(int& depth) : depth_(depth) { ++depth_; }
    Descent(const Descent&) = delete;
    Descent& operator=(const Descent&) = delete;
    ~Descent() { --depth_; }
    bool too_deep() const { return depth_ > kMaxDepth; }

   private:
    int& depth_;
  };

  static std::vector<NodePtr> Kids(NodePtr a, NodePtr b = nullptr, NodePtr c = nullptr) {
    std::vector<NodePtr> kids;
    kids.push_back(std::move(a));
    if (b) kids.push_back(std::move(b));
    if (c) kids.push_back(std::move(c));
    return kids;
  }

  Result<NodePtr> ParseExpression() {
    const Descent descent(depth_);
    if (descent.too_deep()) return TooDeep(Peek().pos);
    if (dialect_ == Dialect::kFeel && IsName(Peek(), "if")) {
      const std::size_t pos = Advance().pos;
      QUIRE_ASSIGN_OR_RETURN(NodePtr test, ParseExpression());
      if (!AcceptName("then")) return Fail("'then'");
      QUIRE_ASSIGN_OR_RETURN(NodePtr yes, ParseExpression());
      if (!AcceptName("else")) return Fail("'else'");
      QUIRE_ASSIGN_OR_RETURN(NodePtr no, ParseExpression());
      return Build(Op::kIf, pos, Kids(std::move(test), std::move(yes), std::move(no)));
    }
    QUIRE_ASSIGN_OR_RETURN(NodePtr e, ParseOr());
    if (dialect_ == Dialect::kJuel && Peek().kind == Tok::kQuestion) {
      const std::size_t pos = Advance().pos;
      QUIRE_ASSIGN_OR_RETURN(NodePtr yes, ParseExpression());
      if (!Accept(Tok::kColon)) return Fail("':' of the ?: operator");
      QUIRE_ASSIGN_OR_RETURN(NodePtr no, ParseExpression());
      return Build(Op::kIf, pos, Kids(std::move(e), std::move(yes), std::move(no)));
    }
    return e;
  }

  Result<NodePtr> ParseOr() {
    QUIRE_ASSIGN_OR_RETURN(NodePtr left, ParseAnd());
    while (IsName(Peek(), "or") || Peek().kind == Tok::kOrOr) {
      const std::size_t pos = Advance().pos;
      QUIRE_ASSIGN_OR_RETURN(NodePtr right, ParseAnd());
      QUIRE_ASSIGN_OR_RETURN(left, Build(Op::kOr, pos, Kids(std::move(left), std::move(right))));
    }
    return left;
  }

  Result<NodePtr> ParseAnd() {
    QUIRE_ASSIGN_OR_RETURN(NodePtr left, ParseComparison());
    while (IsName(Peek(), "and") || Peek().kind == Tok::kAndAnd) {
      const std::size_t pos = Advance().pos;
      QUIRE_ASSIGN_OR_RETURN(NodePtr right, ParseComparison());
      QUIRE_ASSIGN_OR_RETURN(left, Build(Op::kAnd, pos, Kids(std::move(left), std::move(right))));
    }
    return left;
  }

  std::optional<Op> ComparisonOp(const Token& t) const {
    switch (t.kind) {
      case Tok::kEq:
        return Op::kEqual;
      case Tok::kNe:
        return Op::kNotEqual;
      case Tok::kLt:
        return Op::kLess;
      case Tok::kLe:
        return Op::kLessEqual;
      case Tok::kGt:
        return Op::kGreater;
      case Tok::kGe:
        return Op::kGreaterEqual;
      default:
        break;
    }
    if (dialect_ == Dialect::kJuel && t.kind == Tok::kName) {
      if (t.text == "eq") return Op::kEqual;
      if (t.text == "ne") return Op::kNotEqual;
      if (t.text == "lt") return Op::kLess;
      if (t.text == "le") return Op::kLessEqual;
      if (t.text == "gt") return Op::kGreater;
      if (t.text == "ge") return Op::kGreaterEqual;
    }
    return std::nullopt;
  }

  Result<NodePtr> ParseComparison() {
    QUIRE_ASSIGN_OR_RETURN(NodePtr left, ParseAdditive());
    if (const std::optional<Op> op = ComparisonOp(Peek())) {
      const std::size_t pos = Advance().pos;
      QUIRE_ASSIGN_OR_RETURN(NodePtr right, ParseAdditive());
      return Build(*op, pos, Kids(std::move(left), std::move(right)));
    }
    if (dialect_ == Dialect::kFeel && IsName(Peek(), "in")) {
      const std::size_t pos = Advance().pos;
      QUIRE_ASSIGN_OR_RETURN(NodePtr target, ParseInTarget());
      return Build(Op::kIn, pos, Kids(std::move(left), std::move(target)));
    }
    if (dialect_ == Dialect::kFeel && IsName(Peek(), "between")) {
      const std::size_t pos = Advance().pos;
      QUIRE_ASSIGN_OR_RETURN(NodePtr low, ParseAdditive());
      if (!AcceptName("and")) return Fail("'and' of 'between ... and ...'");
      QUIRE_ASSIGN_OR_RETURN(NodePtr high, ParseAdditive());
      return Build(Op::kBetween, pos, Kids(std::move(left), std::move(low), std::move(high)));
    }
    return left;
  }

  // After `in`: a list [a, b], a range [a..b] / (a..b] / ]a..b[, or any expression.
  Result<NodePtr> ParseInTarget() {
    const Tok open = Peek().kind;
    const bool range_open = open == Tok::kLParen || open == Tok::kRBracket;
    if (open == Tok::kLBracket || range_open) {
      const std::size_t mark = next_;
      const std::size_t pos = Advance().pos;
      QUIRE_ASSIGN_OR_RETURN(NodePtr first, ParseAdditive());
      if (Accept(Tok::kDotDot)) {
        QUIRE_ASSIGN_OR_RETURN(NodePtr last, ParseAdditive());
        const Tok close = Advance().kind;
        if (close != Tok::kRBracket && close != Tok::kRParen && close != Tok::kLBracket) {
          --next_;
          return Fail("']' or ')' to close the range");
        }
        auto range = std::make_unique<Expression::Node>();
        range->op = Op::kRange;
        range->position = pos;
        range->open_low = range_open;
        range->open_high = close != Tok::kRBracket;
        range->kids = Kids(std::move(first), std::move(last));
        range->depth = 1 + std::max(range->kids[0]->depth, range->kids[1]->depth);
        if (range->depth > kMaxDepth) return TooDeep(pos);
        return NodePtr(std::move(range));
      }
      next_ = mark;  // not a range: read it again as an ordinary operand
    }
    return ParseAdditive();
  }

  Result<NodePtr> ParseAdditive() {
    QUIRE_ASSIGN_OR_RETURN(NodePtr left, ParseMultiplicative());
    while (Peek().kind == Tok::kPlus || Peek().kind == Tok::kMinus) {
      const Token& t = Advance();
      QUIRE_ASSIGN_OR_RETURN(NodePtr right, ParseMultiplicative());
      QUIRE_ASSIGN_OR_RETURN(left, Build(t.kind == Tok::kPlus ? Op::kAdd : Op::kSubtract, t.pos,
                                         Kids(std::move(left), std::move(right))));
    }
    return left;
  }

  Result<NodePtr> ParseMultiplicative() {
    QUIRE_ASSIGN_OR_RETURN(NodePtr left, ParsePower());
    while (Peek().kind == Tok::kStar || Peek().kind == Tok::kSlash) {
      const Token& t = Advance();
      QUIRE_ASSIGN_OR_RETURN(NodePtr right, ParsePower());
      QUIRE_ASSIGN_OR_RETURN(left, Build(t.kind == Tok::kStar ? Op::kMultiply : Op::kDivide, t.pos,
                                         Kids(std::move(left), std::move(right))));
    }
    return left;
  }

  Result<NodePtr> ParsePower() {
    QUIRE_ASSIGN_OR_RETURN(NodePtr left, ParseUnary());
    while (Peek().kind == Tok::kPower) {
      const std::size_t pos = Advance().pos;
      QUIRE_ASSIGN_OR_RETURN(NodePtr right, ParseUnary());
      QUIRE_ASSIGN_OR_RETURN(left, Build(Op::kPower, pos, Kids(std::move(left), std::move(right))));
    }
    return left;
  }

  Result<NodePtr> ParseUnary() {
    const Descent descent(depth_);
    if (descent.too_deep()) return TooDeep(Peek().pos);
    if (Peek().kind == Tok::kMinus) {
      const std::size_t pos = Advance().pos;
      QUIRE_ASSIGN_OR_RETURN(NodePtr operand, ParseUnary());
      return Build(Op::kNegate, pos, Kids(std::move(operand)));
    }
    if (Peek().kind == Tok::kBang || IsName(Peek(), "not")) {
      const std::size_t pos = Advance().pos;
      QUIRE_ASSIGN_OR_RETURN(NodePtr operand, ParseUnary());
      return Build(Op::kNot, pos, Kids(std::move(operand)));
    }
    if (dialect_ == Dialect::kJuel && IsName(Peek(), "empty")) {
      const std::size_t pos = Advance().pos;
      QUIRE_ASSIGN_OR_RETURN(NodePtr operand, ParseUnary());
      return Build(Op::kEmpty, pos, Kids(std::move(operand)));
    }
    return ParsePostfix();
  }

  Result<NodePtr> ParsePostfix() {
    QUIRE_ASSIGN_OR_RETURN(NodePtr e, ParsePrimary());
    for (;;) {
      if (Peek().kind == Tok::kDot) {
        const std::size_t pos = Advance().pos;
        if (Peek().kind != Tok::kName) return Fail("a field name after '.'");
        std::string field(Advance().text);
        QUIRE_ASSIGN_OR_RETURN(e, Build(Op::kMember, pos, Kids(std::move(e)), std::move(field)));
      } else if (Peek().kind == Tok::kLBracket) {
        const std::size_t pos = Advance().pos;
        QUIRE_ASSIGN_OR_RETURN(NodePtr index, ParseExpression());
        if (!Accept(Tok::kRBracket)) return Fail("']'");
        QUIRE_ASSIGN_OR_RETURN(e, Build(Op::kIndex, pos, Kids(std::move(e), std::move(index))));
      } else {
        return e;
      }
    }
  }

  Result<NodePtr> ParsePrimary() {
    const Token& t = Peek();
    switch (t.kind) {
      case Tok::kNumber: {
        Advance();
        auto node = Make(Op::kLiteral, t.pos);
        node->literal = Value::Number(t.number);
        return node;
      }
      case Tok::kString: {
        Advance();
        auto node = Make(Op::kLiteral, t.pos);
        node->literal = Value::String(t.string);
        return node;
      }
      case Tok::kLParen: {
        Advance();
        QUIRE_ASSIGN_OR_RETURN(NodePtr inner, ParseExpression());
        if (!Accept(Tok::kRParen)) return Fail("')'");
        return inner;
      }
      case Tok::kLBracket: {
        const std::size_t pos = Advance().pos;
        std::vector<NodePtr> items;
        if (!Accept(Tok::kRBracket)) {
          do {
            QUIRE_ASSIGN_OR_RETURN(NodePtr item, ParseExpression());
            items.push_back(std::move(item));
          } while (Accept(Tok::kComma));
          if (!Accept(Tok::kRBracket)) return Fail("',' or ']' in the list");
        }
        return Build(Op::kList, pos, std::move(items));
      }
      case Tok::kLBrace: {
        const std::size_t pos = Advance().pos;
        std::vector<NodePtr> values;
        std::vector<std::string> keys;
        if (!Accept(Tok::kRBrace)) {
          do {
            const Token& key = Peek();
            if (key.kind != Tok::kName && key.kind != Tok::kString) return Fail("an entry name");
            keys.push_back(key.kind == Tok::kName ? std::string(key.text) : key.string);
            Advance();
            if (!Accept(Tok::kColon)) return Fail("':' after the entry name");
            QUIRE_ASSIGN_OR_RETURN(NodePtr value, ParseExpression());
            values.push_back(std::move(value));
          } while (Accept(Tok::kComma));
          if (!Accept(Tok::kRBrace)) return Fail("',' or '}' in the context");
        }
        return Build(Op::kContext, pos, std::move(values), {}, nullptr, std::move(keys));
      }
      case Tok::kName:
        return ParseName();
      default:
        return Fail("a value, a variable or '('");
    }
  }

  Result<NodePtr> ParseName() {
    const Token& t = Peek();
    if (t.text == "true" || t.text == "false") {
      Advance();
      auto node = Make(Op::kLiteral, t.pos);
      node->literal = Value::Bool(t.text == "true");
      return node;
    }
    if (t.text == "null") {
      Advance();
      return Make(Op::kLiteral, t.pos);
    }
    // Function names may have several words ("string length", "date and time"): take the
    // longest run of names that is a function followed by '('.
    std::string name;
    const Function* function = nullptr;
    std::size_t words = 0;
    for (std::size_t k = 0; Peek(k).kind == Tok::kName; ++k) {
      name += (k == 0 ? "" : " ") + std::string(Peek(k).text);
      if (Peek(k + 1).kind == Tok::kLParen) {
        if (const Function* f = FindFunction(name)) {
          function = f;
          words = k + 1;
        }
      }
    }
    if (function != nullptr) {
      const std::size_t pos = t.pos;
      next_ += words + 1;  // the names and '('
      std::vector<NodePtr> args;
      if (!Accept(Tok::kRParen)) {
        do {
          QUIRE_ASSIGN_OR_RETURN(NodePtr arg, ParseExpression());
          args.push_back(std::move(arg));
        } while (Accept(Tok::kComma));
        if (!Accept(Tok::kRParen)) return Fail("',' or ')' after the arguments");
      }
      const int count = static_cast<int>(args.size());
      if (count < function->min_args || count > function->max_args) {
        const std::string want =
            function->min_args == function->max_args
                ? std::to_string(function->min_args)
                : std::to_string(function->min_args) + " to " + std::to_string(function->max_args);
        return FailAt(pos, std::string(function->name) + "() to get " + want + " argument" +
                               (function->max_args == 1 ? "" : "s") + ", not " +
                               std::to_string(count));
      }
      return Build(Op::kCall, pos, std::move(args), {}, function);
    }
    if (Peek(1).kind == Tok::kLParen) {
      return FailAt(t.pos, "a known function, not '" + std::string(t.text) +
                               "(' (see docs/expressions.md for the list)");
    }
    Advance();
    auto node = Make(Op::kVariable, t.pos);
    node->name = std::string(t.text);
    return node;
  }

  std::string_view body_;
  std::size_t offset_;
  Dialect dialect_;
  const std::string& full_;
  std::vector<Token> tokens_;
  std::size_t next_ = 0;
  int depth_ = 0;  // current recursion depth of the parser
};

}  // namespace

Result<std::unique_ptr<const Expression::Node>> Parse(std::string_view body, std::size_t offset,
                                                      Dialect dialect,
                                                      const std::string& full_text) {
  return Parser(body, offset, dialect, full_text).Run();
}

}  // namespace quire::definitions::expressions
