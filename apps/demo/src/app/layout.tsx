import type { Metadata } from "next";
import { TRPCReactProvider } from "~/trpc/react";
import "./globals.css";
import "./tables.css";

export const metadata: Metadata = {
  title: "usagekit demo — language practice",
  description: "Usage metering, limits and lifetime progress for a language-learning app",
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>
        <TRPCReactProvider>{children}</TRPCReactProvider>
      </body>
    </html>
  );
}
