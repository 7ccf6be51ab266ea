-- No query of the library looks contacts up by mobile number (a search for a phone number
-- reads customer.search_contacts), and the index cost every imported contact a random insert
-- (docs/adr/0008-customer-search-index.md, addendum). A host that looks contacts up by
-- mobile in its own SQL may create an index of its own.

DROP INDEX IF EXISTS "contact_mobile";
