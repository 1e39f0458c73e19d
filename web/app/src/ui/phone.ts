// Phone numbers as people write them: the business's own country's numbers in national format
// ("(212) 555-1037" for a New York shop), others in international format ("+44 20 7946 0958").
// Numbers are stored in E.164 (+12125551037); one that does not parse, or comes masked, is shown as stored.
import { parsePhoneNumberFromString, type CountryCode } from "libphonenumber-js";

export function formatPhone(phone: string | null | undefined, country: string | null | undefined): string {
  if (!phone) return "";
  // Masked for members without customers.view_contact (+968 •••• 3456): shown as the server wrote it.
  if (phone.includes("•")) return phone;
  const parsed = parsePhoneNumberFromString(phone, (country ?? undefined) as CountryCode | undefined);
  if (!parsed) return phone;
  return parsed.country && parsed.country === country ? parsed.formatNational() : parsed.formatInternational();
}
