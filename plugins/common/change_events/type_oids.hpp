// The type OIDs the change events and the plugins need by number: those of
// PostgreSQL's catalog (pg_type.dat), fixed in every server, and the limits
// that tell built-in types from a database's own.
#ifndef CN_CHANGE_EVENTS_TYPE_OIDS_HPP
#define CN_CHANGE_EVENTS_TYPE_OIDS_HPP

#include <cstdint>

namespace cn::events::oid {

// Types with a value kind of their own in the format.
constexpr uint32_t kBool = 16;
constexpr uint32_t kChar = 18;  // the internal one-byte "char"
constexpr uint32_t kName = 19;
constexpr uint32_t kInt8 = 20;
constexpr uint32_t kInt2 = 21;
constexpr uint32_t kInt4 = 23;
constexpr uint32_t kText = 25;
constexpr uint32_t kOid = 26;
constexpr uint32_t kFloat4 = 700;
constexpr uint32_t kFloat8 = 701;
constexpr uint32_t kUnknown = 705;
constexpr uint32_t kBpchar = 1042;
constexpr uint32_t kVarchar = 1043;

// Others that tests and examples use (all written as RawText).
constexpr uint32_t kBytea = 17;
constexpr uint32_t kJson = 114;
constexpr uint32_t kInt4Array = 1007;
constexpr uint32_t kTextArray = 1009;
constexpr uint32_t kDate = 1082;
constexpr uint32_t kTimestamp = 1114;
constexpr uint32_t kNumeric = 1700;
constexpr uint32_t kUuid = 2950;
constexpr uint32_t kJsonb = 3802;

// pgoutput sends a type message before a relation for every column type at
// or above this OID (FirstGenbkiObjectId).
constexpr uint32_t kFirstGenbkiObjectId = 10000;
// Below this OID a type is built in, the same in every database; at or
// above it, it belongs to the database that made it (FirstNormalObjectId).
constexpr uint32_t kFirstNormalObjectId = 16384;

}  // namespace cn::events::oid

#endif
