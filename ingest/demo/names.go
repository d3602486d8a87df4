package demo

// The lists below are constant vocabulary for the generator. They are package
// variables only because Go has no constant slices; nothing writes to them.

// orgProfile is a named demo agency. Beyond the list, orgs are called
// "org-0042" and reuse a profile's locale.
type orgProfile struct {
	id, name string
	timeZone string
	offset   int // standard UTC offset in hours; DST is ignored so output never depends on tzdata
	currency string
	calendar string // holiday rules: "US", "GB" or "DE"
	overhead int64  // overhead per hour in the org currency, 0 for none
}

var orgProfiles = [...]orgProfile{
	{"acme", "Acme Creative", "America/New_York", -5, "USD", "US", 18},
	{"northwind", "Northwind Studio", "Europe/London", 0, "GBP", "GB", 0},
	{"globex", "Globex Digital", "Europe/Berlin", 1, "EUR", "DE", 14},
	{"initech", "Initech Agency", "America/Chicago", -6, "USD", "US", 0},
	{"umbrella", "Umbrella Brand Partners", "Europe/London", 0, "GBP", "GB", 12},
	{"hooli", "Hooli Interactive", "America/Los_Angeles", -8, "USD", "US", 20},
	{"vandelay", "Vandelay Design Co", "America/New_York", -5, "USD", "US", 0},
	{"wonka", "Wonka Content Lab", "Europe/Berlin", 1, "EUR", "DE", 0},
	{"stark", "Stark Creative", "America/Denver", -7, "USD", "US", 16},
	{"gringotts", "Gringotts & Partners", "Europe/London", 0, "GBP", "GB", 0},
}

// Role indexes into roleProfiles.
const (
	roleCD = iota
	roleStrategist
	roleDesigner
	roleDeveloper
	roleCopywriter
	rolePM
)

// roleProfile is a role's USD rate card and working pattern.
type roleProfile struct {
	name     string
	bill     int64 // USD per hour
	cost     int64 // USD per hour, fully loaded salary
	target   int64 // utilization target in per mille
	billable int   // share of logged time that is billable, per mille
}

var roleProfiles = [...]roleProfile{
	roleCD:         {"creative_director", 220, 95, 550, 560},
	roleStrategist: {"strategist", 190, 75, 650, 700},
	roleDesigner:   {"designer", 150, 55, 750, 800},
	roleDeveloper:  {"developer", 165, 62, 800, 830},
	roleCopywriter: {"copywriter", 130, 48, 750, 780},
	rolePM:         {"project_manager", 140, 52, 500, 470},
}

// Teams.
const (
	teamBrand   = "Brand"
	teamDigital = "Digital"
	teamContent = "Content"
)

// staffing is the role and team of the i-th hire of every block of 18 people.
var staffing = [18]struct {
	role int
	team string
}{
	{roleCD, teamBrand},
	{rolePM, teamBrand},
	{roleDesigner, teamBrand},
	{roleDeveloper, teamDigital},
	{roleDesigner, teamDigital},
	{roleStrategist, teamBrand},
	{roleCopywriter, teamContent},
	{roleDeveloper, teamDigital},
	{rolePM, teamDigital},
	{roleDesigner, teamBrand},
	{roleDeveloper, teamDigital},
	{roleCopywriter, teamContent},
	{roleDesigner, teamDigital},
	{roleStrategist, teamContent},
	{roleDeveloper, teamDigital},
	{rolePM, teamContent},
	{roleDesigner, teamContent},
	{roleCopywriter, teamContent},
}

// Slots within a block of 18 people that carry a story.
const (
	slotRaise              = 4  // gets a raise mid-history (second Person row)
	slotGoesPartTime       = 6  // 40 h over 5 days, then 32 h Monday to Thursday
	slotLeaver             = 10 // leaves mid-history (EndDate)
	slotPartTime24         = 11 // 24 h, Tuesday to Thursday
	slotHireEarly          = 12 // hired about a third into the history
	slotPartTime32         = 16 // 32 h over 5 days
	slotHireLate           = 17 // hired about two thirds into the history, replacing the leaver
	blockSize              = len(staffing)
	monToFri         uint8 = 0b0011111
	monToThu         uint8 = 0b0001111
	tueToThu         uint8 = 0b0001110
)

// 64 first and 61 last names: coprime lengths give 3904 distinct pairs.
var firstNames = [...]string{
	"Olivia", "Liam", "Emma", "Noah", "Ava", "Elijah", "Sophia", "Lucas", "Mia", "Mateo",
	"Amelia", "Levi", "Harper", "Ezra", "Evelyn", "Kai", "Aria", "Leo", "Chloe", "Hugo",
	"Zoe", "Jonas", "Nora", "Felix", "Lena", "Oscar", "Maya", "Theo", "Ines", "Ravi",
	"Priya", "Omar", "Yara", "Tomás", "Sofia", "Arjun", "Hana", "Kenji", "Amara", "Malik",
	"Freya", "Finn", "Clara", "Nils", "Ingrid", "Diego", "Lucia", "Sam", "Alex", "Jordan",
	"Riley", "Quinn", "Avery", "Rowan", "Sasha", "Nia", "Tariq", "Elena", "Marco", "Greta",
	"Jules", "Anouk", "Dev", "Leila",
}

var lastNames = [...]string{
	"Smith", "Garcia", "Müller", "Johnson", "Rossi", "Brown", "Nguyen", "Kowalski", "Jones", "Silva",
	"Miller", "Schmidt", "Davis", "Martin", "Lopez", "Wilson", "Anderson", "Taylor", "Thomas", "Moore",
	"Jackson", "White", "Harris", "Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright",
	"Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter",
	"Phillips", "Evans", "Turner", "Torres", "Parker", "Collins", "Edwards", "Stewart", "Morris", "Murphy",
	"Cook", "Rogers", "Morgan", "Peterson", "Cooper", "Reed", "Bailey", "Bell", "Kim", "Patel",
	"Okafor",
}

// Client names are a prefix and a suffix: 31 x 23 distinct pairs.
var clientPrefixes = [...]string{
	"Bluebird", "Harbor", "Summit", "Cedar", "Atlas", "Northstar", "Lumen", "Pioneer", "Maple", "Orchard",
	"Granite", "Riverside", "Evergreen", "Copper", "Horizon", "Juniper", "Beacon", "Willow", "Meridian", "Sterling",
	"Oakridge", "Solstice", "Tidewater", "Aurora", "Falcon", "Keystone", "Lighthouse", "Sequoia", "Vantage", "Quarry",
	"Kestrel",
}

var clientSuffixes = [...]string{
	"Coffee", "Health", "Outdoor", "Bank", "Foods", "Energy", "Logistics", "Fitness", "Insurance", "Motors",
	"Labs", "Hotels", "Apparel", "Pharma", "Telecom", "Brewing", "Realty", "Airlines", "Furniture", "Skincare",
	"Software", "Wines", "Pet Care",
}

// Project themes decide who staffs a project and what it delivers.
const (
	themeBrand = iota
	themeDigital
	themeContent
)

var retainerNames = [...]string{"Brand support retainer", "Digital retainer", "Content retainer"}

var fixedFeeNames = [...][]string{
	themeBrand:   {"Brand refresh", "Brand identity", "Packaging redesign", "Product launch campaign", "Annual report"},
	themeDigital: {"Website redesign", "E-commerce relaunch", "App onboarding redesign", "Design system"},
	themeContent: {"Content strategy", "Video campaign", "Thought leadership series", "Launch campaign copy"},
}

var tmNames = [...]string{"Brand consulting", "Web platform support", "Content production"}

// Recurring deliverables of retainers and T&M projects; %d is a running number.
var recurringDeliverables = [...][]string{
	themeBrand:   {"Campaign key visual #%d", "Event collateral #%d", "Print ad #%d", "Brand guidelines update #%d"},
	themeDigital: {"Sprint %d release", "Landing page #%d", "Email template #%d", "Bug fix batch #%d"},
	themeContent: {"Newsletter #%d", "Social media pack #%d", "Blog article #%d", "Monthly report #%d"},
}

// Milestones of a fixed-fee project, in order.
var milestones = [...]string{
	"Discovery & research", "Strategy presentation", "Concept routes", "Design development",
	"Final artwork", "Launch assets", "Handover & guidelines",
}

// Tasks and notes per role for billable client work.
var roleTasks = [...][]string{
	roleCD:         {"Creative direction", "Concept review", "Client presentation"},
	roleStrategist: {"Strategy", "Research", "Workshop", "Client presentation"},
	roleDesigner:   {"Design", "Concepts", "Revisions", "Artwork", "Design"},
	roleDeveloper:  {"Development", "Development", "QA", "Code review", "Deployment"},
	roleCopywriter: {"Copywriting", "Copywriting", "Editing", "Proofreading"},
	rolePM:         {"Project management", "Client meeting", "Status report", "Planning"},
}

var roleNotes = [...][]string{
	roleCD:         {"", "Review of concept routes", "Feedback on key visual", "Prep for client presentation"},
	roleStrategist: {"", "Competitor audit", "Persona workshop prep", "Positioning draft", "Research synthesis"},
	roleDesigner:   {"", "", "Homepage hero iterations", "Social templates", "Feedback round", "Layout exploration", "Final files export"},
	roleDeveloper:  {"", "", "Checkout bug fixes", "CMS components", "Performance tuning", "Release prep", "API integration"},
	roleCopywriter: {"", "", "Newsletter draft", "Headlines and taglines", "Blog post edit", "Product page copy"},
	rolePM:         {"", "Weekly status call", "Timeline update", "Budget check", "Resourcing", "Sprint planning"},
}

// Non-billable work on client projects and on the internal project.
var clientOverheadTasks = [...]string{"Internal meeting", "Account management", "Internal meeting"}

var internalTasks = [...]string{"Admin", "Team meeting", "Training", "New business pitch", "Hiring", "Admin"}

var internalNotes = [...]string{"", "", "Timesheets and email", "All-hands", "Pitch deck", "Course", "Interviews"}
