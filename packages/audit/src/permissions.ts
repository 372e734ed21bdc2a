/**
 * Every security-profile permission name Connect returns from ListSecurityProfilePermissions, with
 * the risk it carries. Source: Amazon Connect Administrator Guide, "List of security profile
 * permissions" (its tables and its "Legacy permissions" table):
 * https://docs.aws.amazon.com/connect/latest/adminguide/security-profile-list.html
 * Names marked `unlisted` are returned by Connect on real instances (exported Admin profiles) but are
 * missing from that page, or are older names the page no longer carries; they are rated by what their
 * name grants. A name not in this table is reported as unknown, never ignored.
 */
export const PERMISSION_LIST_URL =
  'https://docs.aws.amazon.com/connect/latest/adminguide/security-profile-list.html';

/**
 * What holding a permission risks, one class per audit rule:
 * - `user-administration`, `security-profile-administration`: a path to Admin (high above the
 *   user-administration threshold, medium below it);
 * - `unredacted-content`: recordings, transcripts, screen recordings and IVR logs in the clear;
 * - `recording-download-delete`: copies leaving the instance, or evidence removed;
 * - `redacted-content`: redacted conversations (redaction only removes what it detects);
 * - `live-monitoring`: listening to or barging into live contacts;
 * - `flow-change`: changing what callers meet (flows, modules, bots, which number runs which flow);
 * - `account-lifecycle`: deleting or disabling users and profiles (lock-out);
 * - `customer-data`: customer records, contact attributes, e-mail sent outside.
 */
export type RiskClass =
  | 'user-administration'
  | 'security-profile-administration'
  | 'unredacted-content'
  | 'recording-download-delete'
  | 'redacted-content'
  | 'live-monitoring'
  | 'flow-change'
  | 'account-lifecycle'
  | 'customer-data';

export type Rating = 'high' | 'medium' | 'low' | 'none';

export interface CataloguedPermission {
  readonly name: string;
  /** The section of the permission list it sits in. */
  readonly area: string;
  readonly rating: Rating;
  readonly risk?: RiskClass;
  /** In the page's "Legacy permissions" table, or an older name the page replaced. */
  readonly legacy?: boolean;
  /** Returned by Connect but not on the page. */
  readonly unlisted?: boolean;
  /** What it grants besides its name (inherited permissions, AWS's notes). */
  readonly also?: string;
}

type Row = readonly [name: string, rating: Rating, risk?: RiskClass, also?: string];

const NONE: Rating = 'none';

function area(name: string, rows: readonly Row[], flags: { legacy?: boolean; unlisted?: boolean } = {}) {
  return rows.map(([permission, rating, risk, also]) => ({
    name: permission,
    area: name,
    rating,
    ...(risk ? { risk } : {}),
    ...(also ? { also } : {}),
    ...flags,
  }));
}

const crud = (prefix: string, verbs: readonly string[], rating: Rating = NONE, risk?: RiskClass): Row[] =>
  verbs.map((verb) => (risk ? [`${prefix}.${verb}`, rating, risk] : [`${prefix}.${verb}`, rating]));

const CRUD = ['Create', 'Edit', 'View', 'Delete'] as const;

const ROWS: readonly CataloguedPermission[] = [
  ...area('Amazon Q', [
    ...crud('QConnectAIAgents', CRUD),
    ...crud('QConnectAIPrompts', CRUD),
    ...crud('QConnectGuardrails', CRUD),
  ]),
  ...area('Routing', [
    ...crud('RoutingPolicies', ['Create', 'Edit', 'View']),
    ...crud('TransferDestinations', CRUD),
    ...crud('HoursOfOperation', CRUD),
    ...crud('Queues', ['Create', 'Edit', 'EnableAndDisable', 'View']),
    ...crud('TaskTemplates', CRUD),
    ...crud('PredefinedAttributes', CRUD),
    ...crud('DataTables', [...CRUD, 'ManageValues', 'EditExpressionValues']),
  ]),
  ...area('Channels and flows', [
    ...crud('Prompts', CRUD),
    ...crud('ContactFlows', ['Create', 'Edit', 'Publish', 'Delete'], 'medium', 'flow-change'),
    ['ContactFlows.View', NONE],
    ...crud('ContactFlowModules', ['Create', 'Edit', 'Publish', 'Delete'], 'medium', 'flow-change'),
    ['ContactFlowModules.View', NONE],
    ...crud('Bots', ['Create', 'Edit', 'Delete'], 'medium', 'flow-change'),
    ['Bots.View', NONE],
    ['PhoneNumbers.Claim', 'low', 'flow-change'],
    ['PhoneNumbers.Edit', 'medium', 'flow-change', 'attaches a number to any flow'],
    ['PhoneNumbers.Release', 'low', 'flow-change'],
    ['PhoneNumbers.View', NONE],
    ['ChatTestMode', NONE, undefined, 'lists the flows'],
    ['Views.View', NONE],
    ['Views.Edit', NONE],
    ['Views.Create', NONE],
    ['Views.Remove', NONE],
    ['AnalyticsConnectors.Edit', NONE],
    ['AnalyticsConnectors.View', NONE],
  ]),
  ...area('Users and permissions', [
    [
      'Users.Create',
      'high',
      'user-administration',
      'lists every security profile and creates users with any of them, Admin included',
    ],
    ['Users.Delete', 'medium', 'account-lifecycle'],
    [
      'Users.Edit',
      'high',
      'user-administration',
      "changes a user's e-mail address and login, after which that user's password can be reset; resets other users' passwords, the administrator's included",
    ],
    [
      'Users.EditPermission',
      'high',
      'user-administration',
      'assigns any security profile to any user, Admin included',
    ],
    ['Users.View', 'low', 'customer-data', 'exports the user list'],
    ...crud('AgentGrouping', ['Create', 'Edit', 'EnableAndDisable'], 'low', 'account-lifecycle'),
    ['AgentGrouping.View', NONE],
    [
      'SecurityProfiles.Create',
      'high',
      'security-profile-administration',
      'creates a profile with any permission',
    ],
    ['SecurityProfiles.Delete', 'medium', 'account-lifecycle'],
    [
      'SecurityProfiles.Edit',
      'high',
      'security-profile-administration',
      "adds any permission to any profile, its holder's own included: a path to Admin",
    ],
    ['SecurityProfiles.View', NONE],
    ...crud('AgentStates', ['Create', 'Edit', 'EnableAndDisable', 'View']),
    ...crud('Workspaces', [...CRUD, 'Assign', 'EditVisibility']),
  ]),
  ...area('Contact Control Panel (CCP)', [
    ['BasicAgentAccess', NONE],
    ['RealtimeContactLens.View', 'low', 'live-monitoring'],
    ['OutboundCallAccess', NONE],
    ['VoiceId.Access', NONE],
    ['RestrictTaskCreation.Access', NONE],
    ['RestrictPhoneTypeSettings.Access', NONE],
    ['AudioDeviceSettings.Access', NONE],
    ['VideoContact.Access', NONE],
    [
      'OutboundEmail.Create',
      'medium',
      'customer-data',
      'forwards e-mail contacts to outside addresses and replies to closed ones',
    ],
    ['SelfAssignContacts.Access', NONE],
    ['RequireEndContactConfirmation.Enabled', NONE],
  ]),
  ...area('Analytics and Optimization', [
    ['AccessMetrics', NONE],
    ['AccessMetrics.RealTimeMetrics.Access', NONE],
    ['AccessMetrics.HistoricalMetrics.Access', NONE],
    ['AccessMetrics.AgentActivityAudit.Access', NONE],
    ['AccessMetrics.Dashboards.Access', NONE],
    ['AccessMetrics.DashboardsWithMyData.View', NONE],
    ...crud('CustomMetrics', [...CRUD, 'Publish']),
    ['ContactSearch.View', 'low', 'customer-data', 'every contact on Contact search and Contact details'],
    ['MyContacts.View', NONE],
    ['ContactSearchSampleContacts.View', NONE],
    ['ContactSearchWithCharacteristics.Access', NONE],
    ['ContactSearchWithCharacteristics.View', NONE],
    ['ContactSearchWithKeywords.Access', 'low', 'customer-data', 'searches transcripts by what was said'],
    ['ContactSearchWithKeywords.View', 'low', 'customer-data', 'searches transcripts by what was said'],
    ['ConfigureContactAttributes.View', NONE],
    ['RestrictContactAccessByHierarchy.View', NONE],
    [
      'ContactAttributes.View',
      'low',
      'customer-data',
      'contact attributes, which can hold what callers typed',
    ],
    ['GraphTrends.View', NONE],
    ...crud('InformationExtraction.Definitions', CRUD),
    ['InformationExtraction.Results.View', 'low', 'customer-data'],
    ['ContactLensPostContactSummary.View', 'low', 'customer-data'],
    ['ContactLensCustomVocabulary.Edit', NONE],
    ['ContactLensCustomVocabulary.View', NONE],
    ...crud('ThemeDetection', ['Create', 'View', 'Delete']),
    ...crud('Rules', CRUD),
    ...crud('RulesGenerativeAI', CRUD),
    ['AgentTimeCard.View', NONE],
    ['ManagerListenIn', 'medium', 'live-monitoring', 'listens to live conversations'],
    ['ManagerBargeIn', 'medium', 'live-monitoring', 'barges into live conversations'],
    ...crud('MetricsReports', ['View', 'Create', 'Share', 'Edit', 'Delete', 'Publish', 'Schedule']),
    ...crud('ReportSchedules', CRUD),
    ['ReportsAdmin.View', NONE],
    ['ReportsAdmin.Delete', NONE],
    ...crud('Evaluation', CRUD),
    ['MyReceivedEvaluations.View', NONE],
    ...crud('EvaluationForms', CRUD),
    ['EvaluationAssistant.Access', NONE],
    ...crud('EvaluationCalibrationSessions', CRUD),
    ...crud('MyCoachingSessions', CRUD),
    ...crud('CoachingSessions', CRUD),
    ['EvaluationReviews.Create', NONE],
    ['EvaluationReviews.View', NONE],
    ...crud('EvaluationReviewRequest', ['View', 'Create', 'Delete']),
    ['VoiceIdAttributesAndSearch.View', NONE],
    ...crud('Forecasting', ['View', 'Edit', 'Publish']),
    ...crud('Capacity', ['View', 'Edit', 'Publish']),
    ['ForecastScheduleInterval.Edit', NONE],
    ['ForecastScheduleInterval.View', NONE],
  ]),
  ...area('Recordings and Transcripts', [
    [
      'CallRecordings.Unredacted.Access',
      'high',
      'unredacted-content',
      'downloads recordings even without the download-button permission',
    ],
    ['CallRecordings.Redacted.Access', 'medium', 'redacted-content'],
    [
      'ContactTranscripts.Unredacted.Access',
      'high',
      'unredacted-content',
      'unredacted chat and e-mail conversations and voice transcripts',
    ],
    ['CallRecordings.Unredacted.DownloadButton', 'high', 'recording-download-delete'],
    ['CallRecordings.Redacted.DownloadButton', 'high', 'recording-download-delete'],
    ['ContactTranscripts.Unredacted.DownloadButton', 'high', 'recording-download-delete'],
    ['DeleteCallRecordings', 'high', 'recording-download-delete', 'deletes recordings and transcripts'],
    [
      'ScreenRecording.Access',
      'high',
      'unredacted-content',
      'without rule-based redaction the screen recording plays with the unredacted call audio',
    ],
    ['ScreenRecording.Redacted.Access', 'medium', 'redacted-content'],
    ['ScreenRecording.Redacted.Download', 'high', 'recording-download-delete'],
    ['AutomatedVoiceInteraction.Recordings.Unredacted.Access', 'high', 'unredacted-content'],
    [
      'AutomatedVoiceInteraction.Recordings.Unredacted.DownloadButton',
      'high',
      'recording-download-delete',
      'download and delete buttons for IVR recordings',
    ],
    [
      'AutomatedVoiceInteraction.Transcripts.Unredacted.Access',
      'high',
      'unredacted-content',
      'IVR logs with the keypad input callers typed: what Secure IVR keeps from agents',
    ],
  ]),
  ...area(
    'Legacy permissions',
    [
      ['RedactedData.View', 'medium', 'redacted-content', 'redacted call recordings and transcripts'],
      [
        'ListenCallRecordings',
        'high',
        'unredacted-content',
        'unredacted recordings, voice transcripts, chat and e-mail conversations',
      ],
      [
        'DownloadCallRecordings',
        'high',
        'recording-download-delete',
        'download and delete buttons for recordings',
      ],
    ],
    { legacy: true },
  ),
  ...area('Contact Actions', [
    ['ManualAssignAnyContact.Enable', NONE],
    ['ManualAssignMyContacts.Enable', NONE],
    ['TransferContact.Enabled', NONE],
    ['StopContact.Enabled', NONE],
    ['UpdateContactSchedule.Enabled', NONE],
    ['Contacts.Tag.Edit', NONE],
  ]),
  ...area('Historical changes', [['HistoricalChanges.View', NONE]]),
  ...area('Customer Profiles', [
    ['CustomerProfiles.Create', 'low', 'customer-data'],
    ['CustomerProfiles.Edit', 'low', 'customer-data'],
    ['CustomerProfiles.View', 'low', 'customer-data'],
    ...crud('CustomerProfiles.CalculatedAttributes', CRUD),
    ['CustomerProfiles.Segments.View', NONE],
    ['CustomerProfiles.Segments.Create', NONE],
    ['CustomerProfiles.Segments.Delete', NONE],
    [
      'CustomerProfiles.Segments.Export',
      'medium',
      'customer-data',
      "exports every profile of a segment to CSV, the profiles' data included",
    ],
    ...crud('CustomerProfiles.ProfileExplorer', CRUD),
  ]),
  ...area('Scheduling', [
    ...crud('Scheduling', ['View', 'Edit', 'Publish']),
    ...crud('TimeOff', ['Approve', 'Edit', 'View']),
    ['TimeOffBalance.Edit', NONE],
    ['TimeOffBalance.View', NONE],
    ['TeamCalendar.View', NONE],
    ['TeamCalendar.Edit', NONE],
  ]),
  ...area('Agent Applications', [
    ['StaffCalendar.View', NONE],
    ['StaffCalendar.Edit', NONE],
    ['CustomViews.Access', NONE],
    ['Wisdom.View', NONE],
    ['Analytics.PerformanceMetrics.Access', NONE],
  ]),
  ...area('Content Management', [...crud('ContentManagement', CRUD)]),
  ...area('Cases', [
    ['CaseHistory.View', NONE],
    ...crud('Cases', CRUD),
    ['MyCases.Delete', NONE],
    ...crud('CaseFields', ['Create', 'View', 'Edit']),
    ...crud('CaseTemplates', ['Create', 'View', 'Edit']),
    ...crud('CaseComments', ['Edit', 'Delete']),
    ...crud('MyCaseComments', ['Edit', 'Delete']),
    ...crud('CaseCustomRelatedItems', ['Edit', 'Delete']),
    ...crud('MyCaseCustomRelatedItems', ['Edit', 'Delete']),
    ['CaseContacts.Delete', NONE],
    ['MyCaseContacts.Delete', NONE],
    ['CaseFiles.Delete', NONE],
  ]),
  ...area('Outbound Campaigns', [...crud('Campaigns', ['Create', 'Delete', 'Edit'])]),
  ...area(
    'Older names',
    [
      [
        'ContactRecording.Access',
        'high',
        'unredacted-content',
        'listens to recordings, opens their S3 links and deletes them',
      ],
      ['RealTimeMetrics.Access', NONE],
      ['HistoricalMetrics.Access', NONE],
      ['AgentActivityAudit.Access', NONE],
    ],
    { legacy: true, unlisted: true },
  ),
  ...area(
    'Returned by Connect, not on the page',
    [
      ['UnredactedData.View', 'high', 'unredacted-content'],
      ['Transcript.View', 'medium', 'redacted-content'],
      ['ContactTranscripts.Redacted.Access', 'medium', 'redacted-content'],
      ['AutomatedVoiceInteraction.Recordings.Redacted.Access', 'medium', 'redacted-content'],
      ['AutomatedVoiceInteraction.Transcripts.Redacted.Access', 'medium', 'redacted-content'],
      ['AutomatedVoiceInteraction.Recordings.Redacted.DownloadButton', 'high', 'recording-download-delete'],
      ['ScreenRecording.Download', 'high', 'recording-download-delete'],
      ['ScreenRecording.Delete', 'high', 'recording-download-delete'],
      ['Users.EnableAndDisable', 'medium', 'account-lifecycle'],
      ['Queues.Delete', NONE],
      ['Queues.Purge', 'low', 'flow-change', 'removes the contacts waiting in a queue'],
      ['RoutingPolicies.Delete', NONE],
      ['Audio.View', NONE],
      ...crud('ContactSearchQuickViewWidget', CRUD),
      ...crud('ContentManagement.MessageTemplates', CRUD),
      ...crud('CustomerProfiles.PredictiveInsights', CRUD),
      ...crud('EmailAddresses', ['Create', 'Edit', 'Remove', 'View']),
      ['ReportsAdmin.Access', NONE],
      ['ReportsAdmin.Publish', NONE],
      ['ReportsAdmin.Schedule', NONE],
      ...crud('TestCases', [...CRUD, 'Execute', 'Publish']),
      ['VoiceIdUpdateSpeakerId.Access', NONE],
      ['Campaigns.Manage', NONE],
      ['Campaigns.View', NONE],
    ],
    { unlisted: true },
  ),
];

/** The catalogue by permission name (the first row wins if the page lists a name twice). */
export const PERMISSION_CATALOGUE: ReadonlyMap<string, CataloguedPermission> = ROWS.reduce(
  (catalogue, row) => (catalogue.has(row.name) ? catalogue : catalogue.set(row.name, row)),
  new Map<string, CataloguedPermission>(),
);

export function catalogued(name: string): CataloguedPermission | undefined {
  return PERMISSION_CATALOGUE.get(name);
}
