// The media type of a content, from its first bytes ("magic numbers"), never from a file
// name or what a client claims: PDF, PNG, JPEG, GIF, TIFF, WebP, ZIP-based office files
// (docx, xlsx, pptx, odt, ods), plain ZIP, gzip, RTF, HTML, XML, JSON, plain text (UTF-8 with
// no control bytes), else application/octet-stream.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace quire::dms {

// How many leading bytes DetectMediaType looks at (more are ignored).
inline constexpr std::size_t kMediaTypeSniffBytes = 8192;

std::string DetectMediaType(std::string_view head);

}  // namespace quire::dms
