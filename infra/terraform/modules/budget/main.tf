locals {
  # The Budgets API names a tag filter value "user:KEY$VALUE" ("user:" marks a
  # user-defined cost allocation tag). format() keeps the "$" literal.
  tag_filter_values = [for key, value in var.cost_filter_tags : format("user:%s$%s", key, value)]

  # Alerts while there is still time to act (80 % spent), when the limit is
  # reached, and as soon as the forecast says the month will end above it.
  notifications = {
    actual_80 = {
      type      = "ACTUAL"
      threshold = 80
    }
    actual_100 = {
      type      = "ACTUAL"
      threshold = 100
    }
    forecasted_100 = {
      type      = "FORECASTED"
      threshold = 100
    }
  }
}

resource "aws_budgets_budget" "monthly" {
  name         = "${var.name}-monthly"
  budget_type  = "COST"
  time_unit    = "MONTHLY"
  limit_amount = tostring(var.limit_amount_usd)
  limit_unit   = "USD"

  dynamic "cost_filter" {
    for_each = length(local.tag_filter_values) > 0 ? [local.tag_filter_values] : []

    content {
      name   = "TagKeyValue"
      values = cost_filter.value
    }
  }

  dynamic "notification" {
    for_each = local.notifications

    content {
      notification_type          = notification.value.type
      comparison_operator        = "GREATER_THAN"
      threshold                  = notification.value.threshold
      threshold_type             = "PERCENTAGE"
      subscriber_email_addresses = var.notification_emails
      subscriber_sns_topic_arns  = var.sns_topic_arn == null ? [] : [var.sns_topic_arn]
    }
  }
}
