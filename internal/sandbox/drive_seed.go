package sandbox

import (
	"fmt"
	"strings"
	"time"
)

// This file seeds the fake Drive with a small, realistic workspace. Ids are stable; times are
// relative to the sandbox clock at creation, so tests may rely on both.
//
// alice@sandbox.example (My Drive):
//
//	Projects/                        folder
//	  Q3 Launch/                     folder, shared with bob (writer)
//	    Q3 Launch Plan               Google Doc (title, headings, paragraphs, a list)
//	    Launch Deck                  Google Slides (3 slides)
//	  Budget 2026                    Google Sheet (header and 6 rows)
//	  Vendor Contract.pdf            PDF
//	Meeting Notes/                   folder with 24 Docs "Meeting notes YYYY-MM-DD" (weekly)
//	Release Notes.txt                text/plain, starred
//	Design Review                    Google Doc shared with bob (commenter)
//	Public FAQ                       Google Doc, anyone with the link can read
//	Company Handbook                 Google Doc, readable and discoverable by sandbox.example
//	Old Draft                        Google Doc, trashed
//
// bob@sandbox.example: Bob's Notes.txt, Expenses Q1 (Sheet), Team Offsite Ideas (Doc shared
// with carol as commenter). carol@sandbox.example owns nothing. Shared drive "Marketing"
// (alice organizer, bob writer): Brand Guidelines (Doc) and Campaigns/Campaign Brief (Doc).

// Stable ids of the seeded Drive items.
const (
	SeedDriveProjectsFolderID   = "1sbxProjectsFolder0000000000000000"
	SeedDriveQ3FolderID         = "1sbxQ3LaunchFolder000000000000000"
	SeedDriveLaunchPlanID       = "1sbxQ3LaunchPlanDoc00000000000000"
	SeedDriveLaunchDeckID       = "1sbxLaunchDeckSlides0000000000000"
	SeedDriveBudgetID           = "1sbxBudget2026Sheet00000000000000"
	SeedDriveContractPDFID      = "1sbxVendorContractPdf000000000000"
	SeedDriveMeetingFolderID    = "1sbxMeetingNotesFolder00000000000"
	SeedDriveReleaseNotesID     = "1sbxReleaseNotesTxt00000000000000"
	SeedDriveDesignReviewID     = "1sbxDesignReviewDoc00000000000000"
	SeedDrivePublicFAQID        = "1sbxPublicFaqDoc0000000000000000"
	SeedDriveHandbookID         = "1sbxCompanyHandbookDoc00000000000"
	SeedDriveOldDraftID         = "1sbxOldDraftDoc00000000000000000"
	SeedDriveBobNotesID         = "1sbxBobNotesTxt00000000000000000"
	SeedDriveBobExpensesID      = "1sbxBobExpensesSheet0000000000000"
	SeedDriveBobOffsiteID       = "1sbxBobOffsiteDoc000000000000000"
	SeedDriveMarketingID        = "0AsbxMarketingSharedDriveUk9PVA"
	SeedDriveBrandGuidelinesID  = "1sbxBrandGuidelinesDoc00000000000"
	SeedDriveCampaignsFolderID  = "1sbxCampaignsFolder00000000000000"
	SeedDriveCampaignBriefID    = "1sbxCampaignBriefDoc0000000000000"
	SeedDriveMeetingNotesPrefix = "1sbxMeetingNotes" // + two digits 01..24, then zeros to 33 characters
)

// SeedDriveMeetingNotesCount is how many "Meeting notes" Docs alice has.
const SeedDriveMeetingNotesCount = 24

// SeedDriveMeetingNoteID returns the id of alice's i-th meeting notes Doc (1-based, oldest first).
func SeedDriveMeetingNoteID(i int) string {
	id := fmt.Sprintf("%s%02d", SeedDriveMeetingNotesPrefix, i)
	return id + strings.Repeat("0", 33-len(id))
}

const (
	driveSeedAlice = "alice@sandbox.example"
	driveSeedBob   = "bob@sandbox.example"
	driveSeedCarol = "carol@sandbox.example"
)

func (d *driveState) seed(now time.Time) {
	day := 24 * time.Hour
	aliceRoot := d.rootFor(driveSeedAlice, "").id
	bobRoot := d.rootFor(driveSeedBob, "").id
	d.rootFor(driveSeedCarol, "")

	add := func(id, name, mime, owner, parent string, age time.Duration) *driveFile {
		t := now.Add(-age)
		f := &driveFile{id: id, name: name, mimeType: mime, owner: owner, creator: owner, lastModifier: owner,
			created: t.Add(-2 * day), modified: t, version: 3, parents: []string{parent}, writersCanShare: true}
		if owner != "" {
			f.perms = []*drivePerm{d.userPerm(owner, "owner", f.created, "")}
		}
		d.files[id] = f
		return f
	}
	share := func(f *driveFile, email, role, sharer string) {
		f.perms = append(f.perms, d.userPerm(email, role, f.modified, sharer))
	}

	add(SeedDriveProjectsFolderID, "Projects", MimeFolder, driveSeedAlice, aliceRoot, 60*day)
	q3 := add(SeedDriveQ3FolderID, "Q3 Launch", MimeFolder, driveSeedAlice, SeedDriveProjectsFolderID, 30*day)
	share(q3, driveSeedBob, "writer", driveSeedAlice)

	plan := add(SeedDriveLaunchPlanID, "Q3 Launch Plan", MimeDocument, driveSeedAlice, SeedDriveQ3FolderID, 2*day)
	plan.description = "Plan for the Q3 product launch"
	plan.doc = []driveDocBlock{
		{"title", "Q3 Launch Plan"},
		{"p", "This plan describes how we launch the new sandbox product in the third quarter."},
		{"h1", "Goals"},
		{"li", "Reach 1,000 active teams within six weeks"},
		{"li", "Keep the onboarding under ten minutes"},
		{"li", "Publish the public FAQ before launch day"},
		{"h1", "Timeline"},
		{"p", "Beta opens on July 1. General availability follows on September 15, after the pricing review."},
		{"h2", "Risks"},
		{"p", "The main risk is the vendor contract renewal; Bob owns the follow-up with legal."},
		{"h1", "Budget"},
		{"p", "See the Budget 2026 spreadsheet for the marketing and infrastructure lines."},
	}
	deck := add(SeedDriveLaunchDeckID, "Launch Deck", MimePresentation, driveSeedAlice, SeedDriveQ3FolderID, 3*day)
	deck.slides = []driveSlide{
		{"Q3 Launch", []string{"Sandbox product", "Alice Martin"}},
		{"Why now", []string{"Teams ask for safe AI access", "Competitors are six months behind"}},
		{"Next steps", []string{"Finish the FAQ", "Sign the vendor contract", "Beta on July 1"}},
	}
	budget := add(SeedDriveBudgetID, "Budget 2026", MimeSpreadsheet, driveSeedAlice, SeedDriveProjectsFolderID, 5*day)
	budget.sheet = [][]string{
		{"Category", "Q1", "Q2", "Q3", "Q4", "Total"},
		{"Marketing", "12000", "15000", "30000", "18000", "75000"},
		{"Infrastructure", "8000", "8000", "11000", "11000", "38000"},
		{"Salaries", "90000", "90000", "95000", "95000", "370000"},
		{"Travel", "2000", "3500", "6000", "2500", "14000"},
		{"Training", "1500", "1500", "1500", "1500", "6000"},
		{"Contingency", "5000", "5000", "5000", "5000", "20000"},
	}
	pdf := add(SeedDriveContractPDFID, "Vendor Contract.pdf", "application/pdf", driveSeedAlice, SeedDriveProjectsFolderID, 20*day)
	pdf.content = driveMinimalPDF("Vendor Contract", []string{"Master Services Agreement",
		"Between Sandbox Example Inc. and Cloud Vendor Ltd.", "Term: 12 months, renewable.",
		"Fees: 38,000 per year, payable quarterly."})
	pdf.originalFilename = "Vendor Contract.pdf"

	add(SeedDriveMeetingFolderID, "Meeting Notes", MimeFolder, driveSeedAlice, aliceRoot, 200*day)
	for i := 1; i <= SeedDriveMeetingNotesCount; i++ {
		age := time.Duration(SeedDriveMeetingNotesCount-i)*7*day + 4*time.Hour
		date := now.Add(-age).Format("2006-01-02")
		n := add(SeedDriveMeetingNoteID(i), "Meeting notes "+date, MimeDocument, driveSeedAlice, SeedDriveMeetingFolderID, age)
		n.created = n.modified
		n.doc = []driveDocBlock{
			{"title", "Meeting notes " + date},
			{"p", "Attendees: Alice, Bob, Carol."},
			{"h1", "Decisions"},
			{"li", fmt.Sprintf("Weekly sync number %d held", i)},
			{"li", "Action items tracked in the Q3 Launch Plan"},
		}
	}

	notes := add(SeedDriveReleaseNotesID, "Release Notes.txt", "text/plain", driveSeedAlice, aliceRoot, 1*day)
	notes.content = []byte("Release 1.4.0\n\n- Faster search across shared drives\n- Export to Markdown\n- Fixed: trash could not be emptied\n")
	notes.starredBy = map[string]bool{driveSeedAlice: true}
	plan.starredBy = map[string]bool{driveSeedAlice: true}

	review := add(SeedDriveDesignReviewID, "Design Review", MimeDocument, driveSeedAlice, aliceRoot, 4*day)
	review.doc = []driveDocBlock{{"title", "Design Review"}, {"p", "Review of the onboarding flow mock-ups."},
		{"li", "Simplify the account chooser"}, {"li", "Show the scopes in plain words"}}
	share(review, driveSeedBob, "commenter", driveSeedAlice)

	faq := add(SeedDrivePublicFAQID, "Public FAQ", MimeDocument, driveSeedAlice, aliceRoot, 6*day)
	faq.doc = []driveDocBlock{{"title", "Public FAQ"}, {"h1", "What is the sandbox?"},
		{"p", "A safe place to try gwmcp without a Google Cloud project."}}
	faq.perms = append(faq.perms, &drivePerm{id: "anyoneWithLink", typ: "anyone", role: "reader", created: faq.modified, sharer: driveSeedAlice})

	handbook := add(SeedDriveHandbookID, "Company Handbook", MimeDocument, driveSeedAlice, aliceRoot, 90*day)
	handbook.doc = []driveDocBlock{{"title", "Company Handbook"}, {"p", "Welcome to Sandbox Example. Read this first."}}
	handbook.perms = append(handbook.perms, &drivePerm{id: drivePermissionID("domain:sandbox.example") + "k", typ: "domain",
		role: "reader", domain: "sandbox.example", displayName: "sandbox.example", allowDiscovery: true,
		created: handbook.modified, sharer: driveSeedAlice})

	old := add(SeedDriveOldDraftID, "Old Draft", MimeDocument, driveSeedAlice, aliceRoot, 120*day)
	old.doc = []driveDocBlock{{"p", "An abandoned draft."}}
	old.trashed, old.explicitlyTrashed, old.trashedTime, old.trashingUser = true, true, now.Add(-10*day), driveSeedAlice

	bobNotes := add(SeedDriveBobNotesID, "Bob's Notes.txt", "text/plain", driveSeedBob, bobRoot, 2*day)
	bobNotes.content = []byte("Call legal about the vendor contract.\nBook the offsite venue.\n")
	exp := add(SeedDriveBobExpensesID, "Expenses Q1", MimeSpreadsheet, driveSeedBob, bobRoot, 8*day)
	exp.sheet = [][]string{{"Date", "Item", "Amount"}, {"2026-01-12", "Train tickets", "84.50"}, {"2026-02-03", "Hotel", "240.00"}}
	offsite := add(SeedDriveBobOffsiteID, "Team Offsite Ideas", MimeDocument, driveSeedBob, bobRoot, 3*day)
	offsite.doc = []driveDocBlock{{"title", "Team Offsite Ideas"}, {"li", "Hiking day"}, {"li", "Cooking class"}}
	share(offsite, driveSeedCarol, "commenter", driveSeedBob)

	created := now.Add(-100 * day)
	d.drives[SeedDriveMarketingID] = &driveSharedDrive{id: SeedDriveMarketingID, name: "Marketing", created: created,
		colorRgb: "#4986e7", members: map[string]string{driveSeedAlice: "organizer", driveSeedBob: "writer"}}
	d.files[SeedDriveMarketingID] = &driveFile{id: SeedDriveMarketingID, name: "Marketing", mimeType: MimeFolder,
		driveID: SeedDriveMarketingID, created: created, modified: created, version: 1, isRoot: true, writersCanShare: true}
	brand := add(SeedDriveBrandGuidelinesID, "Brand Guidelines", MimeDocument, "", SeedDriveMarketingID, 15*day)
	brand.driveID, brand.creator, brand.lastModifier = SeedDriveMarketingID, driveSeedAlice, driveSeedAlice
	brand.doc = []driveDocBlock{{"title", "Brand Guidelines"}, {"p", "Use the blue logo on light backgrounds."}}
	camp := add(SeedDriveCampaignsFolderID, "Campaigns", MimeFolder, "", SeedDriveMarketingID, 40*day)
	camp.driveID, camp.creator, camp.lastModifier = SeedDriveMarketingID, driveSeedBob, driveSeedBob
	brief := add(SeedDriveCampaignBriefID, "Campaign Brief", MimeDocument, "", SeedDriveCampaignsFolderID, 9*day)
	brief.driveID, brief.creator, brief.lastModifier = SeedDriveMarketingID, driveSeedBob, driveSeedBob
	brief.doc = []driveDocBlock{{"title", "Campaign Brief"}, {"p", "Launch campaign for Q3: webinars and a blog series."}}
}
