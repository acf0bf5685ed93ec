variable "name" {
  description = "Prefix of the budget name, for example \"hello-service-dev\"; the budget is named \"<name>-monthly\"."
  type        = string
  nullable    = false

  validation {
    # Budget names may not contain ":" or "\", and are at most 100 characters.
    condition     = can(regex("^[a-z][a-z0-9-]{0,90}[a-z0-9]$", var.name))
    error_message = "name must be 2 to 92 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen."
  }
}

variable "limit_amount_usd" {
  description = "Monthly cost limit in US dollars. Notifications fire at 80 % and 100 % of it (actual) and at 100 % (forecast)."
  type        = number
  nullable    = false

  validation {
    condition     = var.limit_amount_usd > 0
    error_message = "limit_amount_usd must be greater than 0."
  }
}

variable "notification_emails" {
  description = "Email addresses AWS Budgets notifies directly (at most 10). Together with sns_topic_arn there must be at least one subscriber."
  type        = list(string)
  nullable    = false
  default     = []

  validation {
    condition     = alltrue([for email in var.notification_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", email))])
    error_message = "notification_emails must hold email addresses only."
  }

  validation {
    condition     = length(var.notification_emails) <= 10
    error_message = "notification_emails may hold at most 10 addresses: AWS Budgets allows 10 email subscribers per notification."
  }

  validation {
    # A budget whose notifications reach nobody is silently useless.
    condition     = length(var.notification_emails) > 0 || var.sns_topic_arn != null
    error_message = "Give at least one subscriber: notification_emails, sns_topic_arn or both."
  }
}

variable "sns_topic_arn" {
  description = "ARN of an SNS topic that also receives the notifications, or null. Its policy must let budgets.amazonaws.com publish and, if it is encrypted, its key must let Budgets use it; the observability module's topic does both."
  type        = string
  default     = null

  validation {
    condition     = var.sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.sns_topic_arn))
    error_message = "sns_topic_arn must be null or an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)."
  }
}

variable "cost_filter_tags" {
  description = "Cost allocation tags the budget counts, as a map of tag key to value, for example { Project = \"hello-service\" }. Empty counts the whole account. AWS combines several values of the tag filter with OR, not AND. The tag keys must be activated as cost allocation tags in the Billing console, or the budget sees no cost."
  type        = map(string)
  nullable    = false
  default     = {}

  validation {
    condition     = alltrue([for key, value in var.cost_filter_tags : length(key) > 0 && length(key) <= 128 && length(value) <= 256])
    error_message = "cost_filter_tags keys must be 1 to 128 characters and values at most 256 characters."
  }
}
