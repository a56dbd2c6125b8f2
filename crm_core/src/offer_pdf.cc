#include "quire/crm/offer_pdf.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <algorithm>
#include <array>
#include <boost/json/serialize.hpp>
#include <map>
#include <regex>

#include "record_fields.h"

namespace quire::crm {
namespace json = boost::json;

namespace {

using namespace internal;  // NOLINT: the module's field readers

constexpr double kWidth = 595.276;  // A4, points
constexpr double kHeight = 841.89;
constexpr double kMargin = 42.5;  // 15 mm
constexpr double kFooter = 40.0;  // kept free at the foot of a page
constexpr double kContent = kWidth - 2 * kMargin;

// The document's words.
struct Words {
  const char* offer;
  const char* number;
  const char* revision;
  const char* issued;
  const char* valid_until;
  const char* to;
  const char* item;
  const char* name;
  const char* quantity;
  const char* unit;
  const char* unit_price;
  const char* discount;
  const char* net;
  const char* rate;
  const char* tax;
  const char* gross;
  const char* total;
  const char* payment;
  const char* days;
  const char* delivery;
  const char* prepared_by;
  const char* page;
  const char* of;
  const char* currency_note;
  char decimal;
  const char* group;  // between thousands
};

const Words& WordsOf(const std::string& language) {
  static const Words kPolish{"OFERTA",
                             "Nr",
                             "rewizja",
                             "Data wystawienia",
                             "Ważna do",
                             "Dla",
                             "Lp.",
                             "Nazwa",
                             "Ilość",
                             "J.m.",
                             "Cena netto",
                             "Rabat",
                             "Wartość netto",
                             "VAT",
                             "Kwota VAT",
                             "Brutto",
                             "Razem",
                             "Termin płatności",
                             "dni",
                             "Warunki dostawy",
                             "Przygotował(a)",
                             "Strona",
                             "z",
                             "Kwoty w",
                             ',',
                             "\u00a0"};
  static const Words kEnglish{"OFFER",       "No.",
                              "revision",    "Issued",
                              "Valid until", "To",
                              "No.",         "Item",
                              "Quantity",    "Unit",
                              "Unit price",  "Discount",
                              "Net value",   "Tax",
                              "Tax amount",  "Gross",
                              "Total",       "Payment terms",
                              "days",        "Delivery terms",
                              "Prepared by", "Page",
                              "of",          "Amounts in",
                              '.',           ","};
  return language == "en" ? kEnglish : kPolish;
}

// "1234567.50" → "1 234 567,50" (Polish) or "1,234,567.50".
std::string Localised(const std::string& plain, const Words& w) {
  std::string sign, whole = plain, fraction;
  if (!whole.empty() && whole[0] == '-') {
    sign = "-";
    whole.erase(0, 1);
  }
  if (const auto point = whole.find('.'); point != std::string::npos) {
    fraction = whole.substr(point + 1);
    whole.resize(point);
  }
  std::string grouped;
  for (std::size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped += w.group;
    grouped += whole[i];
  }
  return sign + grouped + (fraction.empty() ? "" : std::string(1, w.decimal) + fraction);
}

cairo_status_t Append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

struct Colour {
  double r = 0, g = 0, b = 0;
};
Colour ParseColour(const std::string& hex) {
  if (hex.size() != 7 || hex[0] != '#') return {0.12, 0.31, 0.47};
  auto part = [&](std::size_t at) { return std::stoi(hex.substr(at, 2), nullptr, 16) / 255.0; };
  return {part(1), part(3), part(5)};
}

// Draws text with Pango: one layout, reused.
class Pen {
 public:
  explicit Pen(cairo_t* cr) : cr_(cr), layout_(pango_cairo_create_layout(cr)) {}
  ~Pen() {
    g_object_unref(layout_);
    for (auto& [name, font] : fonts_) pango_font_description_free(font);
  }
  Pen(const Pen&) = delete;
  Pen& operator=(const Pen&) = delete;

  // Lays `text` out in `width` (0: unbounded) and answers its height; draws it at (x, y)
  // unless `measure_only`.
  double Text(const std::string& text, double x, double y, double width, const char* font,
              PangoAlignment align = PANGO_ALIGN_LEFT, bool measure_only = false) {
    pango_layout_set_font_description(layout_, Font(font));
    pango_layout_set_width(layout_, width > 0 ? static_cast<int>(width * PANGO_SCALE) : -1);
    pango_layout_set_wrap(layout_, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_alignment(layout_, align);
    pango_layout_set_text(layout_, text.c_str(), -1);
    int w = 0, h = 0;
    pango_layout_get_size(layout_, &w, &h);
    if (!measure_only) {
      cairo_move_to(cr_, x, y);
      pango_cairo_show_layout(cr_, layout_);
    }
    return static_cast<double>(h) / PANGO_SCALE;
  }

 private:
  PangoFontDescription* Font(const char* name) {
    auto it = fonts_.find(name);
    if (it == fonts_.end())
      it = fonts_.emplace(name, pango_font_description_from_string(name)).first;
    return it->second;
  }

  cairo_t* cr_;
  PangoLayout* layout_;
  std::map<std::string, PangoFontDescription*> fonts_;
};

struct Column {
  const char* title;
  double width;
  PangoAlignment align;
};

// Renders the whole offer; `pages`: the count to print in footers (0: not yet known).
// Returns how many pages it took.
int Render(cairo_t* cr, const Offer& offer, const Letterhead& lh, const OfferParty& customer,
           const std::string& issued, const std::string& prepared_by, int pages) {
  const Words& w = WordsOf(lh.language);
  const Colour accent = ParseColour(lh.accent);
  Pen pen(cr);
  int page = 1;
  const auto money = [&](std::int64_t minor) {
    const auto c = FindCurrency(offer.currency);
    return Localised(FormatFixed(minor, c ? c->digits : 2), w);
  };
  const auto rule = [&](double y, double width) {
    cairo_set_source_rgb(cr, accent.r, accent.g, accent.b);
    cairo_set_line_width(cr, width);
    cairo_move_to(cr, kMargin, y);
    cairo_line_to(cr, kWidth - kMargin, y);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
  };
  const auto footer = [&] {
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    const double y = kHeight - kMargin + 6;
    if (!lh.footer.empty())
      pen.Text(lh.footer, kMargin, y - 10, kContent * 0.75, "DejaVu Sans 6.5");
    std::string numbering = std::string(w.page) + " " + std::to_string(page);
    if (pages > 0) numbering += " " + std::string(w.of) + " " + std::to_string(pages);
    pen.Text(numbering, kMargin, y, kContent, "DejaVu Sans 7", PANGO_ALIGN_RIGHT);
    cairo_set_source_rgb(cr, 0, 0, 0);
  };

  // The letterhead and the title.
  double y = kMargin;
  cairo_set_source_rgb(cr, accent.r, accent.g, accent.b);
  double left = y + pen.Text(lh.name, kMargin, y, kContent * 0.55, "DejaVu Sans Bold 14");
  cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
  for (const std::string& line : lh.lines) {
    left += pen.Text(line, kMargin, left, kContent * 0.55, "DejaVu Sans 8");
  }
  cairo_set_source_rgb(cr, accent.r, accent.g, accent.b);
  const double right_x = kMargin + kContent * 0.55;
  const double right_w = kContent * 0.45;
  double right =
      y + pen.Text(w.offer, right_x, y, right_w, "DejaVu Sans Bold 18", PANGO_ALIGN_RIGHT);
  cairo_set_source_rgb(cr, 0, 0, 0);
  std::string number = std::string(w.number) + " " + offer.number;
  if (offer.revision > 1)
    number += ", " + std::string(w.revision) + " " + std::to_string(offer.revision);
  right += pen.Text(number, right_x, right, right_w, "DejaVu Sans Bold 9", PANGO_ALIGN_RIGHT);
  right += pen.Text(std::string(w.issued) + ": " + issued, right_x, right, right_w, "DejaVu Sans 8",
                    PANGO_ALIGN_RIGHT);
  if (offer.valid_until) {
    right += pen.Text(std::string(w.valid_until) + ": " + FormatDay(*offer.valid_until), right_x,
                      right, right_w, "DejaVu Sans 8", PANGO_ALIGN_RIGHT);
  }
  y = std::max(left, right) + 8;
  rule(y, 1.2);
  y += 10;

  // The customer.
  y += pen.Text(std::string(w.to) + ":", kMargin, y, kContent, "DejaVu Sans 8");
  y += pen.Text(customer.name, kMargin, y, kContent * 0.6, "DejaVu Sans Bold 10");
  for (const std::string& line : customer.lines) {
    y += pen.Text(line, kMargin, y, kContent * 0.6, "DejaVu Sans 8.5");
  }
  y += 14;

  // The lines, the table's header on every page.
  const std::array<Column, 8> columns = {{{w.item, 22, PANGO_ALIGN_LEFT},
                                          {w.name, 0, PANGO_ALIGN_LEFT},
                                          {w.quantity, 48, PANGO_ALIGN_RIGHT},
                                          {w.unit, 32, PANGO_ALIGN_LEFT},
                                          {w.unit_price, 66, PANGO_ALIGN_RIGHT},
                                          {w.discount, 40, PANGO_ALIGN_RIGHT},
                                          {w.net, 72, PANGO_ALIGN_RIGHT},
                                          {w.rate, 34, PANGO_ALIGN_RIGHT}}};
  double fixed = 0;
  for (const Column& c : columns) fixed += c.width;
  const double name_width = kContent - fixed - 8 * 4;
  const auto width_of = [&](std::size_t i) {
    return columns[i].width > 0 ? columns[i].width : name_width;
  };
  const auto row = [&](const std::array<std::string, 8>& cells, const char* font, bool draw) {
    double height = 0, x = kMargin;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      height =
          std::max(height, pen.Text(cells[i], x, y, width_of(i), font, columns[i].align, !draw));
      x += width_of(i) + 4;
    }
    return height;
  };
  const auto header = [&] {
    std::array<std::string, 8> titles;
    for (std::size_t i = 0; i < columns.size(); ++i) titles[i] = columns[i].title;
    cairo_set_source_rgb(cr, accent.r, accent.g, accent.b);
    y += row(titles, "DejaVu Sans Bold 7.5", true) + 3;
    cairo_set_source_rgb(cr, 0, 0, 0);
    rule(y, 0.6);
    y += 4;
  };
  const auto new_page_if = [&](double needed) {
    if (y + needed <= kHeight - kMargin - kFooter) return false;
    footer();
    cairo_show_page(cr);
    ++page;
    y = kMargin;
    return true;
  };
  header();
  for (std::size_t i = 0; i < offer.lines.size(); ++i) {
    const OfferLine& l = offer.lines[i];
    const std::array<std::string, 8> cells = {
        std::to_string(i + 1) + ".",
        l.code.empty() ? l.name : l.name + "\n" + l.code,
        Localised(FormatTrimmed(l.quantity, kPlaces), w),
        l.unit,
        Localised(FormatTrimmed(l.unit_price, kPlaces, 2), w),
        l.discount == 0 ? "" : Localised(FormatTrimmed(l.discount, kPlaces), w) + " %",
        money(l.net),
        ParseTaxRate(l.tax_rate) && ParseTaxRate(l.tax_rate)->code == l.tax_rate &&
                std::isdigit(static_cast<unsigned char>(l.tax_rate[0]))
            ? Localised(l.tax_rate, w) + " %"
            : l.tax_rate};
    const double height = row(cells, "DejaVu Sans 8", false);
    if (new_page_if(height + 4)) header();
    row(cells, "DejaVu Sans 8", true);
    y += height + 4;
    cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
    cairo_set_line_width(cr, 0.3);
    cairo_move_to(cr, kMargin, y - 2);
    cairo_line_to(cr, kWidth - kMargin, y - 2);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
  }

  // The totals per tax rate, and in all.
  const double totals_rows = 18.0 * static_cast<double>(offer.totals.by_rate.size() + 2) + 20;
  new_page_if(totals_rows);
  y += 8;
  const double tx = kMargin + kContent - 4 * 80;
  const auto totals_row = [&](const std::array<std::string, 4>& cells, const char* font) {
    double height = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      height = std::max(height, pen.Text(cells[i], tx + 80.0 * static_cast<double>(i), y, 76, font,
                                         PANGO_ALIGN_RIGHT));
    }
    y += height + 3;
  };
  cairo_set_source_rgb(cr, accent.r, accent.g, accent.b);
  totals_row({w.rate, w.net, w.tax, w.gross}, "DejaVu Sans Bold 7.5");
  cairo_set_source_rgb(cr, 0, 0, 0);
  for (const RateTotal& r : offer.totals.by_rate) {
    const bool numeric = !r.rate.empty() && std::isdigit(static_cast<unsigned char>(r.rate[0]));
    totals_row({numeric ? Localised(r.rate, w) + " %" : r.rate, money(r.net), money(r.tax),
                money(r.gross)},
               "DejaVu Sans 8");
  }
  cairo_set_source_rgb(cr, accent.r, accent.g, accent.b);
  cairo_set_line_width(cr, 0.8);
  cairo_move_to(cr, tx, y);
  cairo_line_to(cr, kWidth - kMargin, y);
  cairo_stroke(cr);
  cairo_set_source_rgb(cr, 0, 0, 0);
  y += 3;
  totals_row({std::string(w.total) + " " + offer.currency, money(offer.totals.net),
              money(offer.totals.tax), money(offer.totals.gross)},
             "DejaVu Sans Bold 9");
  y += 14;

  // The terms and the notes.
  std::vector<std::string> terms;
  terms.push_back(std::string(w.payment) + ": " + std::to_string(offer.payment_terms_days) + " " +
                  w.days);
  if (!offer.delivery_terms.empty()) {
    terms.push_back(std::string(w.delivery) + ": " + offer.delivery_terms);
  }
  terms.push_back(std::string(w.currency_note) + " " + offer.currency);
  for (const std::string& t : terms) {
    new_page_if(14);
    y += pen.Text(t, kMargin, y, kContent, "DejaVu Sans 8.5");
  }
  if (!offer.notes.empty()) {
    // Paragraph by paragraph, so that long notes continue on the next page.
    y += 6;
    std::size_t from = 0;
    while (from <= offer.notes.size()) {
      std::size_t end = offer.notes.find('\n', from);
      if (end == std::string::npos) end = offer.notes.size();
      const std::string paragraph = offer.notes.substr(from, end - from);
      const std::string shown = paragraph.empty() ? " " : paragraph;
      const double height =
          pen.Text(shown, kMargin, y, kContent, "DejaVu Sans 8.5", PANGO_ALIGN_LEFT, true);
      new_page_if(height);
      y += pen.Text(shown, kMargin, y, kContent, "DejaVu Sans 8.5");
      from = end + 1;
    }
  }
  if (!prepared_by.empty()) {
    y += 18;
    new_page_if(14);
    pen.Text(std::string(w.prepared_by) + ": " + prepared_by, kMargin, y, kContent,
             "DejaVu Sans 8.5");
  }
  footer();
  cairo_show_page(cr);
  return page;
}

}  // namespace

json::object Letterhead::ToJson() const {
  return {{"name", name},
          {"lines", json::array(lines.begin(), lines.end())},
          {"footer", footer},
          {"language", language},
          {"accent", accent}};
}

Result<Letterhead> ParseLetterhead(const json::object& o) {
  std::vector<ErrorDetail> problems;
  FieldReader f(o, problems);
  f.Known({"name", "lines", "footer", "language", "accent"}, "the letterhead",
          "name, lines, footer, language, accent");
  Letterhead l;
  f.Text("name", 200, l.name);
  if (l.name.empty()) f.Problem("name", "is required: the company's name");
  f.List("lines", 8, l.lines, [&](const json::value& v, const std::string& at) {
    std::string line;
    if (!f.Text(v, at, 200, line)) return std::optional<std::string>();
    return std::optional<std::string>(line);
  });
  f.Text("footer", 1000, l.footer);
  f.Text("language", 2, l.language);
  if (l.language != "pl" && l.language != "en") f.Problem("language", "is pl or en");
  f.Text("accent", 7, l.accent);
  if (!std::regex_match(l.accent, std::regex("#[0-9a-fA-F]{6}"))) {
    f.Problem("accent", "is a colour as #rrggbb");
  }
  if (!problems.empty()) return Invalid("the letterhead", std::move(problems));
  return l;
}

namespace {
const std::string kLetterheadKey = std::string("S") + "h";
}  // namespace

Result<Letterhead> ReadLetterhead(const storage::Store& store) {
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> text,
                         store.Get(storage::ColumnFamily::kCrm, kLetterheadKey));
  if (!text) return Letterhead{};
  QUIRE_ASSIGN_OR_RETURN(json::object o, ParseRecord(*text, "letterhead"));
  return ParseLetterhead(o);
}

Result<Letterhead> WriteLetterhead(audit::AuditLog& audit, const json::object& body,
                                   const audit::Actor& actor, Timestamp now) {
  QUIRE_ASSIGN_OR_RETURN(Letterhead l, ParseLetterhead(body));
  storage::WriteBatch batch;
  batch.Put(storage::ColumnFamily::kCrm, kLetterheadKey, json::serialize(l.ToJson()));
  QUIRE_RETURN_IF_ERROR(
      audit.Commit(std::move(batch), {{actor, "letterhead.set", "settings/letterhead", {}}}, now));
  return l;
}

std::string OfferPdf(const Offer& offer, const Letterhead& letterhead, const OfferParty& customer,
                     const std::string& issued, const std::string& prepared_by) {
  // Twice: the first pass counts the pages the footers name.
  int pages = 0;
  std::string out;
  for (int pass = 0; pass < 2; ++pass) {
    out.clear();
    cairo_surface_t* surface = cairo_pdf_surface_create_for_stream(&Append, &out, kWidth, kHeight);
    const std::string title = WordsOf(letterhead.language).offer + std::string(" ") + offer.number;
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title.c_str());
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_AUTHOR, letterhead.name.c_str());
    cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "Quire");
    cairo_t* cr = cairo_create(surface);
    pages = Render(cr, offer, letterhead, customer, issued, prepared_by, pages);
    cairo_destroy(cr);
    cairo_surface_finish(surface);
    cairo_surface_destroy(surface);
  }
  return out;
}

}  // namespace quire::crm
