#include "quire/crm/labels.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>

#include <array>

// Fontconfig, which Pango loads fonts through, keeps its caches for the life of the process
// and never frees them: LeakSanitizer (the dev build's) would report them at exit from any
// process that printed labels. Not a leak of ours; suppressed here, where fontconfig comes in.
extern "C" const char* __lsan_default_suppressions() {  // NOLINT: the sanitizer's hook
  return "leak:libfontconfig.so\n";
}

namespace quire::crm {
namespace {

constexpr double kPointsPerMm = 72.0 / 25.4;
constexpr double kA4Width = 210.0 * kPointsPerMm;
constexpr double kA4Height = 297.0 * kPointsPerMm;
constexpr double kPadding = 4.0 * kPointsPerMm;  // text inside a label

cairo_status_t Append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

Result<LabelSheet> FindLabelSheet(std::string_view name) {
  static const std::array<LabelSheet, 2> kSheets = {{
      {"L7160", 3, 7, 63.5, 38.1, 15.15, 7.2, 2.5, 0.0},
      {"3x8", 3, 8, 70.0, 37.0, 0.5, 0.0, 0.0, 0.0},
  }};
  for (const LabelSheet& s : kSheets) {
    if (s.name == name) return s;
  }
  return Error::InvalidArgument("'" + std::string(name) +
                                "' is not a label sheet Quire knows: L7160 (Avery, 3 x 7, "
                                "63.5 x 38.1 mm) or 3x8 (70 x 37 mm)");
}

std::string AddressLabelsPdf(const std::vector<std::vector<std::string>>& labels,
                             const LabelSheet& sheet) {
  std::string out;
  cairo_surface_t* surface =
      cairo_pdf_surface_create_for_stream(&Append, &out, kA4Width, kA4Height);
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, "Address labels");
  cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "Quire");
  cairo_t* cr = cairo_create(surface);
  PangoLayout* layout = pango_cairo_create_layout(cr);
  PangoFontDescription* font = pango_font_description_from_string("DejaVu Sans 9");
  pango_layout_set_font_description(layout, font);
  const double width = sheet.label_width_mm * kPointsPerMm - 2 * kPadding;
  const double height = sheet.label_height_mm * kPointsPerMm - 2 * kPadding;
  pango_layout_set_width(layout, static_cast<int>(width * PANGO_SCALE));
  pango_layout_set_height(layout, static_cast<int>(height * PANGO_SCALE));
  pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
  const std::size_t per_page = static_cast<std::size_t>(sheet.columns * sheet.rows);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0 && i % per_page == 0) cairo_show_page(cr);
    const std::size_t at = i % per_page;
    const double x = (sheet.left_mm + static_cast<double>(at % sheet.columns) *
                                          (sheet.label_width_mm + sheet.column_gap_mm)) *
                         kPointsPerMm +
                     kPadding;
    const double y = (sheet.top_mm + static_cast<double>(at / sheet.columns) *
                                         (sheet.label_height_mm + sheet.row_gap_mm)) *
                         kPointsPerMm +
                     kPadding;
    std::string text;
    for (const std::string& line : labels[i]) {
      if (line.empty()) continue;
      text += (text.empty() ? "" : "\n") + line;
    }
    pango_layout_set_text(layout, text.c_str(), -1);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, layout);
  }
  if (labels.empty()) cairo_show_page(cr);  // an empty sheet rather than no PDF
  pango_font_description_free(font);
  g_object_unref(layout);
  cairo_destroy(cr);
  cairo_surface_finish(surface);
  cairo_surface_destroy(surface);
  return out;
}

}  // namespace quire::crm
